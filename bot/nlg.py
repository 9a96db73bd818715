"""Rasa NLG that fills response placeholders from clinic.yml and finishes every answer.

Configured in endpoints.yml (`nlg: type: bot.nlg.ClinicResponseGenerator`). It runs inside
the Rasa server, so the answers never depend on the action server being up. An article answer
gets, in this order: a first line saying the article does not mention the condition asked
about, when it does not (the `unnamed_condition` entity); a "What is ...?" button for each
glossary word it names (`metadata.glossary`), the "More detail from the article" button
(plain layer only), the feedback buttons, the next-steps line (if clinic.yml has it on) and,
after a crisis, the one-line reminder of the help for that kind of crisis.

The decline ("I can't answer that") becomes "The article covers something close to this:"
with a button for each close article topic, when the classifier found some (the
`close_topics` entity, bot/nlu/decision.py). Both texts are in domain.yml; a button only asks
the topic's question, so nothing is answered that the patient did not pick.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.clinic import load_clinic, response_variables

DEFAULT_CLINIC_FILE = "clinic.yml"

TOPIC_RESPONSE_PREFIX = "utter_topic_"
NEXT_STEPS = "utter_next_steps"
# The plain answer's way to the article's own wording (`utter_article_detail`, whose variation
# the `article_topic` entity picks). Named in the payload, so an older answer's button still
# gives that answer's detail.
DETAIL_BUTTON_TITLE = "More detail from the article"
GLOSSARY_RESPONSE = "utter_glossary"

# Every article answer (a response whose metadata names its sections) ends with these two
# buttons. A tap sends the payload as the patient's next message, so the feedback is stored
# in the conversation like any message: no custom action, and it works with the action
# server down. The staff report counts them per topic.
FEEDBACK_BUTTONS = (
    {"title": "Helpful", "payload": "/feedback_helpful"},
    {"title": "Not helpful", "payload": "/feedback_not_helpful"},
)


# Once a crisis response was given, the slot holds the kind of crisis until the session ends,
# and every later answer carries this reminder of the help for that kind.
CRISIS_KIND_SLOT = "crisis_category"
CRISIS_RESPONSE = "utter_crisis"
CRISIS_REMINDER = "utter_crisis_reminder"


# A condition the article does not name ("does ketamine help OCD?") gets the answer of the
# section that comes closest, opened by a line that says so, rather than a bare decline.
UNNAMED_CONDITION = "unnamed_condition"
NOT_NAMED = "utter_not_named_in_article"


# "Did you mean": the decline, when the message's `close_topics` entity names article topics.
DECLINE = "utter_out_of_scope"
CLOSE_TOPICS_RESPONSE = "utter_close_topics"
CLOSE_TOPICS = "close_topics"


def latest_entity(tracker: DialogueStateTracker, entity: str) -> Optional[str]:
    """The value of `entity` in the latest message of the patient, if it has one."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return next((e.get("value") for e in event.entities if e.get("entity") == entity), None)
    return None


def with_topic_buttons(response: Dict[str, Any], topics: List[str]) -> Dict[str, Any]:
    """The response with only the buttons that ask about `topics` (payload "/topic_<name>"),
    in the order of `topics`."""
    by_payload = {b.get("payload"): b for b in response.get("buttons", [])}
    buttons = [dict(by_payload[f"/{t}"]) for t in topics if f"/{t}" in by_payload]
    return {**response, "buttons": buttons}


def with_first_line(response: Dict[str, Any], line: Optional[str]) -> Dict[str, Any]:
    """The response with `line` as its first line (one newline: the same message)."""
    if not line:
        return response
    return {**response, "text": f"{line}\n{response.get('text') or ''}"}


def unnamed_condition(tracker: DialogueStateTracker) -> Optional[str]:
    """The condition the article does not name that the latest message asks about, until the
    bot has answered it (a second answer to the same message does not repeat the line)."""
    for event in reversed(tracker.events):
        if isinstance(event, BotUttered):
            return None
        if isinstance(event, UserUttered):
            return next((e.get("value") for e in event.entities if e.get("entity") == UNNAMED_CONDITION), None)
    return None


def with_last_line(response: Dict[str, Any], line: Optional[str]) -> Dict[str, Any]:
    """The response with `line` (the next steps, the crisis reminder) as its last line.

    One newline, not a blank line: Rasa's output channels split a text at blank lines into
    separate messages, and the line belongs to the same reply on every channel.
    """
    if not line:
        return response
    text = response.get("text") or ""
    return {**response, "text": f"{text}\n{line}" if text else line}


def is_article_answer(response: Dict[str, Any]) -> bool:
    return bool((response.get("metadata") or {}).get("sections"))


def detail_button(topic: str) -> Dict[str, str]:
    return {"title": DETAIL_BUTTON_TITLE, "payload": f'/more_detail{{"article_topic":"{topic}"}}'}


def glossary_questions(responses: Dict[str, List[Dict[str, Any]]]) -> Dict[str, str]:
    """{glossary word: its button's question} from the variations of `utter_glossary`."""
    questions = {}
    for variation in responses.get(GLOSSARY_RESPONSE, []):
        condition = variation.get("condition") or []
        question = (variation.get("metadata") or {}).get("question")
        if condition and question:
            questions[condition[0]["value"]] = question
    return questions


def glossary_button(term: str, question: str) -> Dict[str, str]:
    return {"title": question, "payload": f'/define_term{{"glossary_term":"{term}"}}'}


def with_article_buttons(
    response: Dict[str, Any], utter_action: str, glossary: Optional[Dict[str, str]] = None
) -> Dict[str, Any]:
    """An article answer with its buttons: a "What is ...?" button for each glossary word it
    names (`metadata.glossary`), "More detail from the article" under a plain answer
    (`utter_topic_<topic>`), then the feedback buttons. Other responses are left alone."""
    if not is_article_answer(response):
        return response
    glossary = glossary or {}
    extra = [glossary_button(t, glossary[t]) for t in response["metadata"].get("glossary", []) if t in glossary]
    if response["metadata"].get("layer") == "plain" and utter_action.startswith(TOPIC_RESPONSE_PREFIX):
        extra.append(detail_button(utter_action[len(TOPIC_RESPONSE_PREFIX) :]))
    extra.extend(map(dict, FEEDBACK_BUTTONS))
    return {**response, "buttons": [*response.get("buttons", []), *extra]}


class ClinicResponseGenerator(TemplatedNaturalLanguageGenerator):
    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, domain: Optional[Domain] = None) -> None:
        domain = domain or Domain.empty()
        super().__init__(domain.responses)
        kwargs = endpoint_config.kwargs if endpoint_config else {}
        clinic_file = Path(kwargs.get("clinic_file", DEFAULT_CLINIC_FILE))
        # Read once at start-up: a broken clinic.yml stops the server with a clear message
        # instead of sending patients half-filled answers.
        clinic = load_clinic(clinic_file)
        self.clinic_variables = response_variables(clinic)
        self.next_steps = clinic.next_steps
        self.glossary = glossary_questions(domain.responses)

    async def generate(
        self, utter_action: str, tracker: DialogueStateTracker, output_channel: str, **kwargs: Any
    ) -> Optional[Dict[str, Any]]:
        if utter_action == DECLINE:
            response = await self._decline(tracker, output_channel, **kwargs)
        else:
            response = await super().generate(utter_action, tracker, output_channel, **kwargs)
        if response is None:
            return response
        response = with_article_buttons(response, utter_action, self.glossary)
        condition = unnamed_condition(tracker) if is_article_answer(response) else None
        if condition:
            line = await super().generate(NOT_NAMED, tracker, output_channel, unnamed_condition=condition)
            response = with_first_line(response, (line or {}).get("text"))
        if self.next_steps and is_article_answer(response):
            next_steps = await super().generate(NEXT_STEPS, tracker, output_channel, **kwargs)
            response = with_last_line(response, (next_steps or {}).get("text"))
        if utter_action in (CRISIS_RESPONSE, CRISIS_REMINDER) or not tracker.get_slot(CRISIS_KIND_SLOT):
            return response
        reminder = await super().generate(CRISIS_REMINDER, tracker, output_channel, **kwargs)
        return with_last_line(response, (reminder or {}).get("text"))

    async def _decline(
        self, tracker: DialogueStateTracker, output_channel: str, **kwargs: Any
    ) -> Optional[Dict[str, Any]]:
        """The decline, or "The article covers something close to this:" with a button for each
        article topic the classifier found close to the message."""
        close = (latest_entity(tracker, CLOSE_TOPICS) or "").split()
        if close:
            suggestion = await super().generate(CLOSE_TOPICS_RESPONSE, tracker, output_channel, **kwargs)
            if suggestion:
                suggestion = with_topic_buttons(suggestion, close)
                if suggestion["buttons"]:
                    return suggestion
        return await super().generate(DECLINE, tracker, output_channel, **kwargs)

    def _response_variables(self, filled_slots: Dict[str, Any], kwargs: Dict[str, Any]) -> Dict[str, Any]:
        return {**self.clinic_variables, **(filled_slots or {}), **kwargs}
