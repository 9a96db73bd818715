"""Rasa NLU component: the features the intent classifier reads, word and character n-gram counts.

One component does what SpacyNLP, SpacyTokenizer and two CountVectorsFeaturizers did, with the
same result: lemmas from the blank English pipeline with lookup lemmas (bot/spacy_pipeline.py),
digits as `__number__`, then counts of lemma uni- and bigrams and of character 2-5-grams within
words. It exists for speed. The classifier reads one row of counts per message, but Rasa's
components also build a row per token of every message, keep the tokens and the spaCy docs, and
Rasa hashes all of that after every component to key its training cache: about a fifth of
`rasa train`. Here the whole training set is featurized in one batch, and only the two rows the
classifier reads are kept.

Pure functions (`lemma_text`, `fit_vocabularies`, `vectorizers_for`, `count_rows`) do the work;
the class is the thin adapter Rasa loads.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import scipy.sparse as sp
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.sparse_featurizer.sparse_featurizer import SparseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import CountVectorizer

from bot.spacy_pipeline import load_pipeline

VOCABULARY_FILE = "vocabulary.json"
NUMBER = "__number__"
_DIGITS = re.compile(r"\b[0-9]+\b")
# Words for the word n-grams: runs of letters and digits, so punctuation ("?", "n't"'s quote)
# is no word of its own.
_WORD = r"(?u)\b\w+\b"


def lemma_text(doc: Iterable[Any]) -> str:
    """The message as the counts see it: each token's lemma, lower-case, digits as one symbol,
    separated by spaces. `doc` is a spaCy Doc of the lower-cased message."""
    lemmas = [token.lemma_ or token.text for token in doc if token.text.strip()]
    return " ".join(_DIGITS.sub(NUMBER, lemma.lower()) for lemma in lemmas)


def _vectorizers(
    word_ngrams: Sequence[int],
    char_ngrams: Sequence[int],
    vocabularies: Optional[Dict[str, List[str]]] = None,
) -> Tuple[CountVectorizer, CountVectorizer]:
    vocabularies = vocabularies or {}
    words = CountVectorizer(
        analyzer="word",
        token_pattern=_WORD,
        ngram_range=(int(word_ngrams[0]), int(word_ngrams[1])),
        vocabulary=vocabularies.get("word"),
    )
    # Character n-grams within word boundaries: robust to the typos patients make on a phone
    # ("ketamin", "bipoler", "recepters").
    chars = CountVectorizer(
        analyzer="char_wb",
        ngram_range=(int(char_ngrams[0]), int(char_ngrams[1])),
        vocabulary=vocabularies.get("char"),
    )
    return words, chars


def fit_vocabularies(
    texts: Sequence[str], word_ngrams: Sequence[int], char_ngrams: Sequence[int]
) -> Dict[str, List[str]]:
    """Every word and character n-gram of the (lemma) texts, in column order."""
    texts = [t for t in texts if t]
    vocabularies: Dict[str, List[str]] = {"word": [], "char": []}
    for name, vectorizer in zip(("word", "char"), _vectorizers(word_ngrams, char_ngrams)):
        try:
            vectorizer.fit(texts)
        except ValueError:
            continue  # no texts, or no word in them (only punctuation): nothing to count
        vocabularies[name] = [str(term) for term in vectorizer.get_feature_names_out()]
    return vocabularies


def vectorizers_for(
    vocabularies: Dict[str, List[str]], word_ngrams: Sequence[int], char_ngrams: Sequence[int]
) -> List[CountVectorizer]:
    """Counters over the trained vocabularies, words then characters (an empty one is left out).

    Build them once and keep them: a counter turns its vocabulary list into a lookup table on
    first use, which for 50,000 n-grams costs more than counting a message."""
    pairs = zip(("word", "char"), _vectorizers(word_ngrams, char_ngrams, vocabularies))
    return [vectorizer for name, vectorizer in pairs if vocabularies.get(name)]


def count_rows(texts: Sequence[str], vectorizers: Sequence[CountVectorizer]) -> List[sp.csr_matrix]:
    """(len(texts), vocabulary size) counts, one matrix per counter."""
    return [vectorizer.transform(texts).tocsr() for vectorizer in vectorizers]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class WordAndCharacterCounts(SparseFeaturizer, GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            **SparseFeaturizer.get_default_config(),
            # Blank English tokenizer + lookup lemmas, built by `make` (no downloadable model
            # here). Rasa keys its training cache by this path, not the folder's contents: see
            # bot/spacy_pipeline.py.
            "spacy_pipeline": "var/spacy/en_blank_lookup_v1",
            # Lemma uni- and bigrams: "receptors"/"receptor" count as one word, and pairs such
            # as "help my" or "for me" mark a question as personal.
            "word_ngrams": [1, 2],
            "char_ngrams": [2, 5],
        }

    @staticmethod
    def required_packages() -> List[str]:
        return ["spacy", "sklearn"]

    @classmethod
    def validate_config(cls, config: Dict[str, Any]) -> None:
        for key in ("word_ngrams", "char_ngrams"):
            low, high = config[key]
            if not 1 <= int(low) <= int(high):
                raise ValueError(f"{key} must be [smallest, largest] with 1 <= smallest <= largest, not {config[key]}")

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        vocabularies: Optional[Dict[str, List[str]]] = None,
    ) -> None:
        super().__init__(execution_context.node_name, config)
        self._model_storage = model_storage
        self._resource = resource
        self.vocabularies = vocabularies
        # Loaded here, when the server starts, not when the first patient writes: the spaCy
        # pipeline and the counters' lookup tables take a moment to build.
        self._nlp = load_pipeline(Path(config["spacy_pipeline"]))
        self._vectorizers = self._counters()

    def _counters(self) -> List[CountVectorizer]:
        if not self.vocabularies:
            return []
        return vectorizers_for(self.vocabularies, self._config["word_ngrams"], self._config["char_ngrams"])

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "WordAndCharacterCounts":
        return cls({**cls.get_default_config(), **config}, model_storage, resource, execution_context)

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "WordAndCharacterCounts":
        try:
            with model_storage.read_from(resource) as directory:
                vocabularies = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError, OSError):
            vocabularies = None  # not trained: the classifier then has nothing to read
        return cls({**cls.get_default_config(), **config}, model_storage, resource, execution_context, vocabularies)

    def _lemma_texts(self, messages: Sequence[Message]) -> List[str]:
        texts = [(m.get(TEXT) or "").lower() for m in messages]
        return [lemma_text(doc) for doc in self._nlp.pipe(texts, batch_size=256)]

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.training_examples if isinstance(m.get(TEXT), str)]
        self.vocabularies = fit_vocabularies(
            self._lemma_texts(examples), self._config["word_ngrams"], self._config["char_ngrams"]
        )
        self._vectorizers = self._counters()
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(json.dumps(self.vocabularies), encoding="utf-8")
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        with_text = [m for m in messages if isinstance(m.get(TEXT), str)]
        if not self.vocabularies or not with_text:
            return messages
        texts = self._lemma_texts(with_text)
        blocks = count_rows(texts, self._vectorizers)
        for i, (message, text) in enumerate(zip(with_text, texts)):
            if not text:
                continue  # nothing to count (only spaces): no features, as for a message without text
            for block in blocks:
                self.add_features_to_message(None, block[i], TEXT, message)
        return messages
