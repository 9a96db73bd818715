"""Training data: valid for Rasa, enough of it, and kept apart from the evaluation sets."""

import re
from collections import Counter

import pytest
import yaml

from tools.evaluation import load_cases

MIN_PER_INTENT = 25
MIN_CLINICAL = 80
MIN_CRISIS = 50


# "[nmda](glossary_term)": the text of an entity annotation, as the patient would type it.
ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]+\)")


def load_examples(root):
    examples = {}
    for path in sorted((root / "data" / "nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text())["nlu"]:
            if "intent" not in block:  # lookup tables and synonyms are lists of words, not examples
                continue
            items = [
                ANNOTATION.sub(r"\1", line[2:].strip())
                for line in block["examples"].splitlines()
                if line.startswith("- ")
            ]
            examples.setdefault(block["intent"], []).extend(items)
    return examples


def normalise(text):
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


@pytest.fixture(scope="module")
def examples(root):
    return load_examples(root)


def test_every_intent_has_enough_examples(domain, examples):
    counts = {intent: len(examples.get(intent, [])) for intent in domain["intents"]}
    too_few = {i: n for i, n in counts.items() if n < MIN_PER_INTENT}
    assert not too_few
    assert counts["clinical_decision"] >= MIN_CLINICAL
    assert counts["crisis"] >= MIN_CRISIS


def test_no_example_is_labelled_twice(examples):
    seen = Counter(normalise(t) for texts in examples.values() for t in texts)
    assert not [t for t, n in seen.items() if n > 1]


def test_evaluation_sets_are_never_trained_on(root, examples):
    trained = {normalise(t) for texts in examples.values() for t in texts}
    leaked = []
    for path in (root / "eval").glob("*.yml"):
        cases = load_cases(yaml.safe_load(path.read_text()))
        leaked += [(path.name, text) for text, _ in cases if normalise(text) in trained]
    assert not leaked, leaked


def test_evaluation_labels_are_known_intents(root, domain):
    for path in (root / "eval").glob("*.yml"):
        # A message of several questions expects several labels ("a+b").
        labels = {part for _, label in load_cases(yaml.safe_load(path.read_text())) for part in label.split("+")}
        # The follow-up sets also expect the article's wording of a topic or a glossary entry.
        details = {f"article_detail:{t}" for t in domain["slots"]["article_topic"]["values"]}
        words = {f"glossary:{w}" for w in domain["slots"]["glossary_term"]["values"]}
        assert labels <= set(domain["intents"]) | details | words, path.name


def test_real_phrasings_say_what_kind_of_page_they_came_from(root):
    cases = yaml.safe_load((root / "eval" / "real.yml").read_text())["cases"]
    assert len(cases) >= 150
    assert all(case.get("source") and "http" not in case["source"] for case in cases)
