"""Rasa NLU components for several questions in one message (thin adapters over questions.py).

`QuestionSplitter` comes first in the pipeline. It adds each part of a message that holds
several questions to the list of messages the pipeline processes, so every later component
(tokenizer, featurizers, classifier, guard) treats each part as it treats a message: one
classifier, one set of rules, no second model to keep in step. `QuestionCombiner` comes last:
it folds the parts' intents into the message (questions.combine), records the answers that
follow the first (`more_answers` in the parse data, which bot/dialogue/rule_policy.py plays
after the first answer) and takes the parts out of the list again.

Both are registered as entity extractors that do not train: Rasa runs such a component only
when it parses a message, never on the training data, which is what both need.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.intent_classifier import CRISIS_KIND, set_crisis_kind, set_entity
from bot.nlu.questions import Answer, Outcome, combine, is_question, is_topic, split_questions

PART_OF = "question_part_of"  # on a part: the index of its message in the list (never output)
PARTS_KEY = "question_parts"  # on the message: each part's intent, for the audit trail (no text)
MORE_ANSWERS_KEY = "more_answers"  # on the message: the responses that follow the first answer
GUARD_KEY = "safety_guard"  # set by bot/safety/component.py when a rule fired
PARTLY_DECLINED = "utter_out_of_scope_rest"  # the decline of a part, after an article answer
ARTICLE_TOPIC = "article_topic"  # the entity that tells a later "tell me more" which answer was last


def answer_action(intent: str) -> str:
    """The response the rules give an intent that can follow a first answer."""
    return f"utter_{intent}" if is_topic(intent) else PARTLY_DECLINED


class _Component(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls()


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class QuestionSplitter(_Component):
    def process(self, messages: List[Message]) -> List[Message]:
        parts: List[Message] = []
        for index, message in enumerate(messages):
            if message.get(PART_OF) is not None:
                continue
            texts = split_questions(message.get(TEXT) or "")
            if len(texts) > 1:
                parts.extend(Message(data={TEXT: text, PART_OF: index}) for text in texts)
        return [*messages, *parts]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class QuestionCombiner(_Component):
    def process(self, messages: List[Message]) -> List[Message]:
        originals = [m for m in messages if m.get(PART_OF) is None]
        for index, message in enumerate(originals):
            parts = [m for m in messages if m.get(PART_OF) == index]
            if parts:
                _fold(message, parts)
        return originals


def _outcome(message: Message) -> Outcome:
    intent = message.get(INTENT) or {}
    kind = next((e.get("value") for e in message.get(ENTITIES) or [] if e.get("entity") == CRISIS_KIND), None)
    name = str(intent.get("name") or "")
    guard = message.get(GUARD_KEY) or {}
    return Outcome(
        intent=name,
        confidence=float(intent.get("confidence") or 0.0),
        crisis_kind=kind,
        # The rule decided the intent. A clinical rule that fired on a part the classifier
        # called a crisis leaves the classifier's crisis, which is not a rule's.
        by_rule=guard.get("intent") == name,
        question=is_question(message.get(TEXT) or ""),
    )


def _fold(message: Message, parts: List[Message]) -> None:
    whole = _outcome(message)
    outcomes = [_outcome(p) for p in parts]
    answer: Answer = combine(whole, outcomes)
    message.set(PARTS_KEY, [{"intent": o.intent, "confidence": o.confidence} for o in outcomes], add_to_output=True)
    if answer.intent != whole.intent:
        message.set(INTENT, {"name": answer.intent, "confidence": answer.confidence}, add_to_output=True)
    if answer.crisis_kind != whole.crisis_kind:
        set_crisis_kind(message, answer.crisis_kind, QuestionCombiner.__name__)
    if not answer.more:
        return
    message.set(MORE_ANSWERS_KEY, [answer_action(intent) for intent in answer.more], add_to_output=True)
    last_topic = next((i for i in reversed(answer.more) if is_topic(i)), None)
    if last_topic:
        set_entity(message, ARTICLE_TOPIC, last_topic[len("topic_") :], QuestionCombiner.__name__)
