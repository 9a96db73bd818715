"""Rasa NLU component: the intent classifier (a thin adapter over linear_model and decision).

It reads the sentence-level sparse features of the featurizers before it (word and character
n-gram counts), ranks every intent by probability, and picks one with `decision.decide`:
safety intents first, then an article answer if it is confident enough, else `nlu_fallback`.
It therefore also does the job of Rasa's FallbackClassifier, which must not follow it (that
would turn a plausible crisis below the answer threshold back into "unsure").
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Type

import numpy as np
import scipy.sparse as sp
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import (
    ENTITIES,
    FEATURE_TYPE_SENTENCE,
    INTENT,
    INTENT_RANKING_KEY,
    METADATA,
    METADATA_INTENT,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import linear_model
from bot.nlu.decision import CRISIS, FALLBACK, OUT_OF_SCOPE, Thresholds, close_topics, decide, without_unsupported

logger = logging.getLogger(__name__)

MODEL_FILE = "linear_model.npz"
KINDS_FILE = "crisis_kinds.npz"
# The kind of crisis: set on training examples as intent metadata (data/nlu/crisis.yml), and
# on a crisis message as an entity, which fills the slot of the same name (domain.yml).
# A second model, trained on the crisis examples alone, tells the kinds apart. The intent
# model keeps one crisis label: splitting it would spread the crisis probability over six
# labels, and the decision that a message is a crisis must not depend on which kind it is.
# The kind model weighs the kinds equally, so that the many suicide examples do not outvote
# the few of harm to others.
CRISIS_KIND = "crisis_category"
# The article topics closest to a declined message, best first, separated by spaces: bot/nlg.py
# turns the decline into "The article covers something close to this:" with a button for each.
CLOSE_TOPICS = "close_topics"
RANKING_LENGTH = 10  # what is stored with each message, for the audit trail and the report


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class LinearIntentClassifier(IntentClassifier, GraphComponent):
    @classmethod
    def required_components(cls) -> List[Type]:
        return [Featurizer]

    @staticmethod
    def required_packages() -> List[str]:
        return ["sklearn"]

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        defaults = Thresholds()
        return {
            "C": 100.0,  # inverse regularisation strength of the logistic regression
            "max_iter": 3000,  # a cap on Newton-CG's steps: it converges in about 15 on our data
            # See bot/nlu/decision.py for why safety comes first.
            "crisis_threshold": defaults.crisis,
            "clinical_threshold": defaults.clinical,
            "answer_threshold": defaults.answer,
            "suggest_threshold": defaults.suggest,
            "suggest_max_out_of_scope": defaults.suggest_out_of_scope,
        }

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Optional[linear_model.LinearModel] = None,
        kinds: Optional[linear_model.LinearModel] = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self.thresholds = Thresholds(
            crisis=self.config["crisis_threshold"],
            clinical=self.config["clinical_threshold"],
            answer=self.config["answer_threshold"],
            suggest=self.config["suggest_threshold"],
            suggest_out_of_scope=self.config["suggest_max_out_of_scope"],
        )
        self._model_storage = model_storage
        self._resource = resource
        self.model = model
        self.kinds = kinds

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """The classifier's own code, as part of what Rasa's training cache is keyed by.

        Rasa keys a trained component by its config and inputs only, so after a change to how
        the classifier is fitted `rasa train` would restore the old one from `.rasa/cache`.
        """
        digest = hashlib.sha256()
        for source in sorted(Path(__file__).parent.glob("*.py")):
            digest.update(source.read_bytes())
        return digest.hexdigest()

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LinearIntentClassifier":
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "LinearIntentClassifier":
        try:
            with model_storage.read_from(resource) as directory:
                model = linear_model.load(directory / MODEL_FILE)
                kinds = linear_model.load(directory / KINDS_FILE) if (directory / KINDS_FILE).exists() else None
        except (ValueError, FileNotFoundError, KeyError, OSError):
            # No trained model (e.g. no intent examples): say so, classify nothing.
            logger.warning("No trained intent classifier in the model; every message will be 'unsure'.")
            model, kinds = None, None
        return cls(config, model_storage, resource, model, kinds)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            return self._resource
        counts, blocks = _counts(examples)
        self.model = linear_model.fit(
            counts,
            [e.get(INTENT) for e in examples],
            blocks,
            c=float(self.config["C"]),
            max_iter=int(self.config["max_iter"]),
        )
        crisis = [i for i, e in enumerate(examples) if e.get(INTENT) == CRISIS and _kind(e)]
        kinds = {_kind(examples[i]) for i in crisis}
        self.kinds = None
        if len(kinds) > 1:
            self.kinds = linear_model.fit(
                counts[crisis],
                [str(_kind(examples[i])) for i in crisis],
                blocks,
                c=float(self.config["C"]),
                max_iter=int(self.config["max_iter"]),
                balanced=True,
            )
        with self._model_storage.write_to(self._resource) as directory:
            linear_model.save(self.model, directory / MODEL_FILE)
            if self.kinds is not None:
                linear_model.save(self.kinds, directory / KINDS_FILE)
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        with_text = [m for m in messages if m.get(TEXT)]
        if self.model is None or not with_text:
            return messages
        counts, _ = _counts(with_text, self.model.blocks)
        probabilities = linear_model.predict_proba(self.model, counts)
        for i, (message, row) in enumerate(zip(with_text, probabilities)):
            entities = {e.get("entity") for e in message.get(ENTITIES) or []}
            ranking = without_unsupported(linear_model.ranking(self.model, row), entities)
            intent, confidence = decide(ranking, self.thresholds)
            if counts[i].nnz == 0:
                # Nothing the model knows (only punctuation, an unknown script): its answer
                # would be the prior alone, which is no evidence for anything.
                intent, confidence = FALLBACK, self.thresholds.answer
            message.set(INTENT, {"name": intent, "confidence": confidence}, add_to_output=True)
            if intent in (FALLBACK, OUT_OF_SCOPE):
                suggestions = close_topics(ranking, self.thresholds) if counts[i].nnz else []
                set_entity(message, CLOSE_TOPICS, " ".join(suggestions), type(self).__name__)
            if intent == CRISIS and self.kinds is not None:
                kind_ranking = linear_model.ranking(self.kinds, linear_model.predict_proba(self.kinds, counts[i])[0])
                set_crisis_kind(message, kind_ranking[0][0], type(self).__name__)
            message.set(
                INTENT_RANKING_KEY,
                [{"name": name, "confidence": p} for name, p in ranking[:RANKING_LENGTH]],
                add_to_output=True,
            )
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data


def _kind(example: Message) -> Optional[str]:
    metadata = (example.get(METADATA) or {}).get(METADATA_INTENT) or {}
    return metadata.get(CRISIS_KIND) if isinstance(metadata, dict) else None


def set_entity(message: Message, entity: str, value: Optional[str], extractor: str) -> None:
    """Record `value` as the message's `entity`, spanning the whole text (replacing any earlier
    one), or remove that entity with value=None. Such entities fill slots of the same name."""
    entities = [e for e in message.get(ENTITIES) or [] if e.get("entity") != entity]
    if value:
        text = message.get(TEXT) or ""
        entities.append({"entity": entity, "value": value, "start": 0, "end": len(text), "extractor": extractor})
    message.set(ENTITIES, entities, add_to_output=True)


def set_crisis_kind(message: Message, kind: Optional[str], extractor: str) -> None:
    """Record the kind of crisis as the message's `crisis_category` entity, or remove it."""
    set_entity(message, CRISIS_KIND, kind, extractor)


def _counts(messages: List[Message], blocks: Optional[Sequence[int]] = None) -> Tuple[sp.csr_matrix, Tuple[int, ...]]:
    """The sentence-level sparse features of each featurizer, side by side, one row per message.

    Returns the matrix and the width of each featurizer's block. A message the featurizers
    found nothing in is a row of zeros.
    """
    per_message = [
        [f.features for f in m.features if f.attribute == TEXT and f.is_sparse() and f.type == FEATURE_TYPE_SENTENCE]
        for m in messages
    ]
    if blocks is None:
        blocks = next((tuple(x.shape[1] for x in parts) for parts in per_message if parts), ())
    if not blocks:
        raise ValueError("the intent classifier needs a sparse featurizer (WordAndCharacterCounts) before it")
    # The CSR arrays are put together directly: stacking one small matrix per message took
    # 3 s of training on 7,600 examples, and twice as long as this for a single message.
    offsets = np.cumsum((0,) + tuple(blocks[:-1]))
    indptr, indices, data = [0], [], []
    for parts in per_message:
        nnz = 0
        if tuple(x.shape[1] for x in parts) == tuple(blocks):
            for offset, x in zip(offsets, parts):
                x = sp.csr_matrix(x)
                indices.append(x.indices + offset)
                data.append(x.data)
                nnz += x.nnz
        indptr.append(indptr[-1] + nnz)
    matrix = sp.csr_matrix(
        (_joined(data, np.float64), _joined(indices, np.int32), np.asarray(indptr)),
        shape=(len(per_message), sum(blocks)),
    )
    return matrix, tuple(blocks)


def _joined(arrays: List[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.empty(0, dtype)
