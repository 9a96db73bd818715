"""Rasa NLU component: the rule-based safety net, run after the intent classifier.

When a crisis or clinical-decision rule matches, it sets that intent with confidence 1.0 and
records which rule fired (and what the classifier had said) under `safety_guard` in the
parse data, so the stored conversation shows why. The rules live in a data file a clinician
can review (content/safety_patterns.yml); they are read when the server starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.intent_classifier import set_crisis_kind
from bot.safety.guard import CLINICAL, CRISIS

GUARD_KEY = "safety_guard"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SafetyGuardComponent(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"patterns": "content/safety_patterns.yml"}

    def __init__(self, config: Dict[str, Any]) -> None:
        from bot.safety.guard import load_guard

        self.guard = load_guard(Path(config["patterns"]))

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SafetyGuardComponent":
        return cls({**cls.get_default_config(), **config})

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._guard(message)
        return messages

    def _guard(self, message: Message) -> None:
        text: Optional[str] = message.get(TEXT)
        if not text:
            return
        match = self.guard.check(text)
        if match is None:
            return
        classifier = message.get(INTENT) or {}
        message.set(
            GUARD_KEY,
            {
                "rule": match.rule,
                "intent": match.intent,
                "matched": match.matched_text,
                "classifier_intent": classifier.get("name"),
                "category": match.category or None,
            },
            add_to_output=True,
        )
        if match.intent == CLINICAL and classifier.get("name") == CRISIS:
            # Crisis beats clinical whichever net saw it: a clinical rule never downgrades the
            # classifier's crisis ("my husband collapsed after his infusion, is that a side effect").
            return
        message.set(INTENT, {"name": match.intent, "confidence": 1.0}, add_to_output=True)
        # The rule's kind of crisis: rules are written for one kind each, the classifier's kind
        # is a guess among several. A clinical rule leaves no kind of crisis behind.
        set_crisis_kind(message, match.category if match.intent == CRISIS else None, type(self).__name__)
