"""Rasa NLG that fills response placeholders from clinic.yml.

Configured in endpoints.yml (`nlg: type: bot.nlg.ClinicResponseGenerator`). It runs inside
the Rasa server, so the answers never depend on the action server being up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Optional

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.clinic import load_clinic, response_variables

DEFAULT_CLINIC_FILE = "clinic.yml"

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


def with_crisis_reminder(response: Dict[str, Any], reminder: Optional[str]) -> Dict[str, Any]:
    """The response with the one-line crisis reminder as its last line.

    One newline, not a blank line: Rasa's output channels split a text at blank lines into
    separate messages, and the reminder belongs to the same reply on every channel.
    """
    if not reminder:
        return response
    text = response.get("text") or ""
    return {**response, "text": f"{text}\n{reminder}" if text else reminder}


def with_feedback_buttons(response: Dict[str, Any]) -> Dict[str, Any]:
    """The response with the feedback buttons added if it is an article answer."""
    if not (response.get("metadata") or {}).get("sections"):
        return response
    return {**response, "buttons": [*response.get("buttons", []), *map(dict, FEEDBACK_BUTTONS)]}


class ClinicResponseGenerator(TemplatedNaturalLanguageGenerator):
    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, domain: Optional[Domain] = None) -> None:
        domain = domain or Domain.empty()
        super().__init__(domain.responses)
        kwargs = endpoint_config.kwargs if endpoint_config else {}
        clinic_file = Path(kwargs.get("clinic_file", DEFAULT_CLINIC_FILE))
        # Read once at start-up: a broken clinic.yml stops the server with a clear message
        # instead of sending patients half-filled answers.
        self.clinic_variables = response_variables(load_clinic(clinic_file))

    async def generate(
        self, utter_action: str, tracker: DialogueStateTracker, output_channel: str, **kwargs: Any
    ) -> Optional[Dict[str, Any]]:
        response = await super().generate(utter_action, tracker, output_channel, **kwargs)
        if response is None or utter_action in (CRISIS_RESPONSE, CRISIS_REMINDER):
            return response
        if not tracker.get_slot(CRISIS_KIND_SLOT):
            return response
        reminder = await super().generate(CRISIS_REMINDER, tracker, output_channel, **kwargs)
        return with_crisis_reminder(response, (reminder or {}).get("text"))

    def _fill_response(
        self, response: Dict[str, Any], filled_slots: Optional[Dict[str, Any]] = None, **kwargs: Any
    ) -> Dict[str, Any]:
        return with_feedback_buttons(super()._fill_response(response, filled_slots, **kwargs))

    def _response_variables(self, filled_slots: Dict[str, Any], kwargs: Dict[str, Any]) -> Dict[str, Any]:
        return {**self.clinic_variables, **(filled_slots or {}), **kwargs}
