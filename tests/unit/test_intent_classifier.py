"""The intent classifier: its model arithmetic, its decision rule, and the Rasa component."""

import numpy as np
import pytest
import scipy.sparse as sp
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import linear_model
from bot.nlu.decision import FALLBACK, Thresholds, close_topics, decide
from bot.nlu.featurizer import WordAndCharacterCounts
from bot.nlu.intent_classifier import LinearIntentClassifier

TH = Thresholds(crisis=0.2, clinical=0.5, answer=0.4)


@pytest.mark.parametrize(
    "ranking,expected",
    [
        ([("topic_bdnf", 0.7), ("crisis", 0.25), ("greet", 0.05)], "crisis"),  # crisis wins early
        ([("topic_bdnf", 0.8), ("crisis", 0.15), ("greet", 0.05)], "topic_bdnf"),
        ([("clinical_decision", 0.55), ("topic_bdnf", 0.45)], "clinical_decision"),
        ([("topic_bdnf", 0.45), ("clinical_decision", 0.40), ("crisis", 0.15)], "topic_bdnf"),
        ([("topic_bdnf", 0.35), ("topic_ptsd", 0.33), ("greet", 0.32)], FALLBACK),  # unsure: decline
        ([], FALLBACK),
    ],
)
def test_decision_puts_safety_first_then_a_confident_answer(ranking, expected):
    assert decide(ranking, TH)[0] == expected


def test_fallback_confidence_is_the_threshold_as_in_rasa():
    assert decide([("topic_bdnf", 0.2)], TH) == (FALLBACK, 0.4)


@pytest.mark.parametrize(
    "ranking,expected",
    [
        # Unsure between article topics: the close ones are offered, best first, noise left out.
        (
            [("topic_rapid_action", 0.37), ("topic_major_depression", 0.36), ("topic_how_it_works", 0.12)],
            ["topic_rapid_action", "topic_major_depression", "topic_how_it_works"],
        ),
        ([("topic_bdnf", 0.3), ("greet", 0.3), ("topic_ptsd", 0.05)], ["topic_bdnf"]),
        # At most three.
        (
            [("topic_bdnf", 0.25), ("topic_ptsd", 0.25), ("topic_glutamate", 0.25), ("topic_inflammation", 0.25)],
            ["topic_bdnf", "topic_ptsd", "topic_glutamate"],
        ),
        # "Not covered" is likely: the plain decline.
        ([("out_of_scope", 0.45), ("topic_bdnf", 0.3)], []),
        # No topic close enough; the topic menu is not an article topic.
        ([("greet", 0.5), ("topic_bdnf", 0.12)], []),
        ([("topic_menu", 0.35), ("out_of_scope", 0.3)], []),
        # Never next to a plausible safety intent.
        ([("topic_bdnf", 0.35), ("crisis", 0.2)], []),
        ([("clinical_decision", 0.5), ("topic_bdnf", 0.3)], []),
        ([], []),
    ],
)
def test_a_declined_message_is_offered_the_article_topics_close_to_it(ranking, expected):
    assert close_topics(ranking, TH) == expected


@pytest.mark.parametrize("bad", [0.0, -0.1, 1.5])
def test_thresholds_outside_zero_to_one_are_refused(bad):
    with pytest.raises(ValueError):
        Thresholds(crisis=bad)


def _toy_counts():
    rng = np.random.default_rng(0)
    counts = sp.csr_matrix(rng.poisson(0.3, size=(60, 12)).astype(float))
    labels = [
        "a" if row[:4].sum() > row[4:8].sum() else "b" if row[4:8].sum() > row[8:].sum() else "c"
        for row in counts.toarray()
    ]
    return counts, labels


def test_predictions_equal_scikit_learns_and_survive_saving(tmp_path):
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import normalize

    counts, labels = _toy_counts()
    model = linear_model.fit(counts, labels, blocks=(5, 7), c=10)
    # The same arithmetic done by scikit-learn's own objects, block by block.
    idf = TfidfTransformer(sublinear_tf=True).fit(counts)
    x = idf.transform(counts, copy=True)
    x = normalize(sp.hstack([normalize(x[:, :5]), normalize(x[:, 5:])]).tocsr())
    reference = LogisticRegression(C=10, max_iter=3000, tol=1e-8).fit(x, labels)
    assert np.allclose(linear_model.predict_proba(model, counts), reference.predict_proba(x), atol=1e-4)

    linear_model.save(model, tmp_path / "m.npz")
    loaded = linear_model.load(tmp_path / "m.npz")
    assert loaded.classes == model.classes and loaded.blocks == (5, 7)
    assert np.array_equal(linear_model.predict_proba(loaded, counts), linear_model.predict_proba(model, counts))


def test_the_weights_are_held_once_in_the_order_prediction_reads_them(tmp_path):
    counts, labels = _toy_counts()
    linear_model.save(linear_model.fit(counts, labels, blocks=(5, 7), c=10), tmp_path / "m.npz")
    for model in (linear_model.fit(counts, labels, blocks=(5, 7), c=10), linear_model.load(tmp_path / "m.npz")):
        weights = model.weights_by_feature
        assert weights.flags.c_contiguous and np.shares_memory(weights, model.coef), "no second copy"


def test_two_classes_are_predicted_like_scikit_learns_multinomial_model():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(1)
    counts = sp.csr_matrix(rng.integers(0, 3, size=(30, 8)).astype(float))
    labels = ["a" if row.sum() > 12 else "b" for row in counts.toarray()]
    model = linear_model.fit(counts, labels, [8])
    expected = (
        LogisticRegression(C=100.0, max_iter=3000, tol=1e-8, multi_class="multinomial")
        .fit(linear_model.tfidf(counts, model.idf, model.blocks), labels)
        .predict_proba(linear_model.tfidf(counts, model.idf, model.blocks))
    )
    assert np.allclose(linear_model.predict_proba(model, counts), expected, atol=1e-4)


def test_balanced_weights_are_scikit_learns_balanced_class_weights():
    from sklearn.linear_model import LogisticRegression

    counts, labels = _toy_counts()
    labels = labels[:50] + ["c"] * 10  # an unbalanced third label
    model = linear_model.fit(counts, labels, [12], c=10, balanced=True)
    x = linear_model.tfidf(counts, model.idf, model.blocks)
    reference = LogisticRegression(C=10, max_iter=3000, tol=1e-8, class_weight="balanced").fit(x, labels)
    assert np.allclose(linear_model.predict_proba(model, counts), reference.predict_proba(x), atol=1e-4)


def test_one_label_is_refused():
    counts, _ = _toy_counts()
    with pytest.raises(ValueError):
        linear_model.fit(counts, ["a"] * counts.shape[0], [12])


def test_blocks_must_cover_every_column():
    counts, labels = _toy_counts()
    with pytest.raises(ValueError):
        linear_model.fit(counts, labels, blocks=(5, 5))


def test_the_saved_model_holds_no_pickled_objects(tmp_path):
    counts, labels = _toy_counts()
    linear_model.save(linear_model.fit(counts, labels, blocks=(12,)), tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as data:  # raises if any array is an object array
        assert set(data.files) == {"classes", "blocks", "idf", "coef", "intercept"}


TRAINING = {
    "topic_bdnf": ["what is bdnf", "tell me about bdnf", "bdnf and ketamine", "how does ketamine raise bdnf"],
    "topic_ptsd": ["can ketamine help ptsd", "ketamine for ptsd", "is ketamine studied for ptsd", "ptsd research"],
    "crisis": ["i want to kill myself", "i want to die tonight", "i am going to end my life", "kill myself"],
}
# The kind of crisis, as data/nlu/crisis.yml gives it (intent metadata `crisis_category`).
KINDS = {
    "suicide": ["i want to kill myself", "i want to die tonight", "i am going to end my life", "kill myself"],
    "overdose": ["i swallowed all my pills", "took a whole bottle of pills", "swallowed pills"],
}


def training_message(text, intent):
    kind = next((k for k, texts in KINDS.items() if text in texts), None) if intent == "crisis" else None
    metadata = {"metadata": {"intent": {"crisis_category": kind}}} if kind else {}
    return Message(data={"text": text, "intent": intent, **metadata})


@pytest.fixture()
def trained(tmp_path):
    """The featurizer and the classifier, trained on a tiny data set."""
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    counts = WordAndCharacterCounts.create(
        {**WordAndCharacterCounts.get_default_config(), "spacy_pipeline": str(tmp_path / "not-built")},
        storage,
        Resource("counts"),
        context,
    )
    examples = {**TRAINING, "crisis": TRAINING["crisis"] + KINDS["overdose"]}
    data = TrainingData([training_message(t, i) for i, ts in examples.items() for t in ts])
    counts.train(data)
    counts.process_training_data(data)
    config = {**LinearIntentClassifier.get_default_config(), "C": 100}
    classifier = LinearIntentClassifier.create(config, storage, Resource("clf"), context)
    classifier.train(data)

    def parse(text, component=classifier):
        message = Message(data={"text": text})
        counts.process([message])
        component.process([message])
        return message

    return parse, config, storage, context


def test_component_classifies_and_ranks(trained):
    parse, *_ = trained
    message = parse("what does bdnf do")
    assert message.get("intent")["name"] == "topic_bdnf"
    ranking = message.get("intent_ranking")
    assert [r["name"] for r in ranking][0] == "topic_bdnf" and len(ranking) == 3
    assert abs(sum(r["confidence"] for r in ranking) - 1) < 1e-6


def test_component_reloads_from_model_storage(trained):
    parse, config, storage, context = trained
    loaded = LinearIntentClassifier.load(config, storage, Resource("clf"), context)
    assert parse("i want to kill myself", loaded).get("intent")["name"] == "crisis"
    assert parse("ketamine ptsd", loaded).get("intent") == parse("ketamine ptsd").get("intent")


def test_the_kind_of_crisis_comes_from_a_model_of_its_own(trained):
    parse, config, storage, context = trained
    loaded = LinearIntentClassifier.load(config, storage, Resource("clf"), context)
    for component in (None, loaded):
        for text, kind in [("i swallowed my pills", "overdose"), ("i want to kill myself", "suicide")]:
            message = parse(text, component) if component else parse(text)
            assert message.get("intent")["name"] == "crisis"
            assert [(e["entity"], e["value"]) for e in message.get("entities")] == [("crisis_category", kind)]
            # The intent model has one crisis label: the kinds do not split its probability.
            assert "crisis" in [r["name"] for r in message.get("intent_ranking")]
            assert not any("/" in r["name"] for r in message.get("intent_ranking"))
    assert not parse("what is bdnf").get("entities"), "no kind of crisis on other messages"


def test_a_message_the_classifier_is_unsure_of_names_the_close_topics(trained):
    parse, config, storage, context = trained
    unsure = LinearIntentClassifier.load({**config, "answer_threshold": 0.99}, storage, Resource("clf"), context)
    message = parse("ketamine bdnf ptsd", unsure)
    assert message.get("intent")["name"] == FALLBACK
    close = [e["value"] for e in message.get("entities") if e["entity"] == "close_topics"]
    assert len(close) == 1 and set(close[0].split()) == {"topic_bdnf", "topic_ptsd"}
    # An answered message has none.
    assert not [e for e in parse("what is bdnf").get("entities") or [] if e["entity"] == "close_topics"]


def test_a_message_with_nothing_to_featurize_is_unsure(trained):
    parse, *_ = trained
    assert parse("?!").get("intent")["name"] == FALLBACK


def test_missing_model_classifies_nothing_instead_of_crashing(tmp_path):
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    component = LinearIntentClassifier.load(
        LinearIntentClassifier.get_default_config(), storage, Resource("absent"), context
    )
    message = Message(data={"text": "hello"})
    component.process([message])
    assert message.get("intent") is None


def test_a_glossary_question_needs_a_glossary_word():
    from bot.nlu.decision import without_unsupported

    ranking = [("define_term", 0.6), ("topic_rapid_action", 0.3), ("out_of_scope", 0.1)]
    assert without_unsupported(ranking, {"glossary_term"}) == ranking
    # "rapid acting, what does that mean": no glossary word, so the topic answers it.
    assert without_unsupported(ranking, set()) == ranking[1:]
    assert without_unsupported(ranking, {"crisis_category"}) == ranking[1:]
