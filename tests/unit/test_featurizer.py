"""The featurizer: lemma texts, word and character counts, and the Rasa component around them."""

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.tokenizers.spacy_tokenizer import SpacyTokenizer
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.featurizer import NUMBER, WordAndCharacterCounts, count_rows, fit_vocabularies, lemma_text, vectorizers_for
from bot.spacy_pipeline import make_pipeline

TEXTS = [
    "What are NMDA receptors?",
    "How does ketamine help with PTSD?",
    "Is 2 infusions a week too many for me?",
    "what does bdnf do",
    "Ketamine's effect on glutamate, explained?",
    "I can't sleep and my doctor said ketamine helps",
    "¿Qué es la ketamina? 😊",
]


@pytest.fixture(scope="module")
def nlp():
    return make_pipeline()


def lemmas(nlp, text):
    return lemma_text(nlp(text.lower()))


def test_lemma_text_counts_forms_of_a_word_as_one_and_digits_as_a_number(nlp):
    assert lemmas(nlp, "Receptors") == lemmas(nlp, "receptor") == "receptor"
    assert lemmas(nlp, "it helps") == lemmas(nlp, "it help")
    assert lemmas(nlp, "2 infusions in 10 days") == f"{NUMBER} infusion in {NUMBER} day"
    assert lemmas(nlp, "   \n ") == ""


def test_counts_share_character_ngrams_across_a_typo(nlp):
    vocabularies = fit_vocabularies([lemmas(nlp, t) for t in TEXTS], (1, 2), (2, 5))
    words, chars = count_rows([lemmas(nlp, "ketamin recepters")], vectorizers_for(vocabularies, (1, 2), (2, 5)))
    assert words.nnz == 0  # neither misspelt word is in the vocabulary
    assert chars.nnz > 5  # but many of their character n-grams are ("ket", "recep", ...)


def test_fit_on_nothing_to_count_gives_empty_vocabularies():
    assert fit_vocabularies(["", "?"], (1, 2), (2, 5))["word"] == []
    assert fit_vocabularies([], (1, 2), (2, 5)) == {"word": [], "char": []}


def component(tmp_path, **config):
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "counts")
    full = {**WordAndCharacterCounts.get_default_config(), "spacy_pipeline": str(tmp_path / "not-built"), **config}
    return WordAndCharacterCounts.create(full, storage, Resource("counts"), context), full, storage, context


def sentence_rows(message):
    features = [f for f in message.features if f.is_sparse()]
    assert all(f.type == FEATURE_TYPE_SENTENCE for f in features)  # no per-token rows are kept
    return [f.features.toarray() for f in features]


def test_component_trains_persists_and_loads_to_the_same_features(tmp_path):
    counts, config, storage, context = component(tmp_path)
    data = TrainingData([Message(data={"text": t, "intent": "x"}) for t in TEXTS])
    resource = counts.train(data)
    counts.process_training_data(data)
    assert all(len(sentence_rows(m)) == 2 for m in data.training_examples)

    loaded = WordAndCharacterCounts.load(config, storage, resource, context)
    for text in ["what are nmda receptors", "a question it never saw", "🙂"]:
        fresh, again = Message(data={"text": text}), Message(data={"text": text})
        counts.process([fresh])
        loaded.process([again])
        assert [a.tolist() for a in sentence_rows(fresh)] == [b.tolist() for b in sentence_rows(again)]


def test_component_gives_no_features_to_an_empty_message_and_needs_training(tmp_path):
    counts, *_ = component(tmp_path)
    untrained = Message(data={"text": "what is bdnf"})
    counts.process([untrained])
    assert untrained.features == []

    counts.train(TrainingData([Message(data={"text": t, "intent": "x"}) for t in TEXTS]))
    blank, missing = Message(data={"text": "   "}), Message(data={"intent": "greet"})
    counts.process([blank, missing])
    assert blank.features == [] and missing.features == []


def test_rejects_an_ngram_range_the_wrong_way_round(tmp_path):
    with pytest.raises(ValueError, match="char_ngrams"):
        component(tmp_path, char_ngrams=[5, 2])


def test_counts_are_those_of_rasas_spacy_tokenizer_and_count_vectors_featurizers(tmp_path, nlp):
    """The pipeline it replaced (SpacyNLP, SpacyTokenizer, CountVectorsFeaturizer for words and for
    characters): the same sentence counts, so models and thresholds carry over unchanged."""
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "rasa")
    model = SpacyModel(nlp, "blank")
    spacy_nlp = SpacyNLP(model, SpacyNLP.get_default_config())
    tokenizer = SpacyTokenizer(SpacyTokenizer.get_default_config())
    words = CountVectorsFeaturizer(
        {**CountVectorsFeaturizer.get_default_config(), "use_lemma": True, "min_ngram": 1, "max_ngram": 2},
        storage,
        Resource("w"),
        context,
    )
    chars = CountVectorsFeaturizer(
        {**CountVectorsFeaturizer.get_default_config(), "analyzer": "char_wb", "min_ngram": 2, "max_ngram": 5},
        storage,
        Resource("c"),
        context,
    )
    theirs = TrainingData([Message(data={"text": t, "intent": "x"}) for t in TEXTS])
    spacy_nlp.process_training_data(theirs, model)
    tokenizer.process_training_data(theirs)
    for featurizer in (words, chars):
        featurizer.train(theirs)
        featurizer.process_training_data(theirs)
    (tmp_path / "ours").mkdir()
    ours, *_ = component(tmp_path / "ours")
    ours.train(TrainingData([Message(data={"text": t, "intent": "x"}) for t in TEXTS]))

    for text in [*TEXTS, "Do receptors help 3 people?", "bipoler depresion"]:
        reference = Message(data={"text": text})
        spacy_nlp.process([reference], model)
        tokenizer.process([reference])
        words.process([reference])
        chars.process([reference])
        mine = Message(data={"text": text})
        ours.process([mine])
        expected = [f.features.toarray() for f in reference.features if f.type != FEATURE_TYPE_SEQUENCE]
        assert len(expected) == 2
        assert all(np.array_equal(a, b) for a, b in zip(expected, sentence_rows(mine)))
