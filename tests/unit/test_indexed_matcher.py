"""The indexed matcher finds exactly what one spaCy Matcher over all the patterns finds."""

import pytest
import yaml
from spacy.matcher import Matcher

from bot.safety.guard import normalise_quotes
from bot.safety.indexed_matcher import IndexedMatcher
from bot.safety.patterns import compile_pattern, parse_rules
from tools.evaluation import load_cases


def both(nlp, patterns_by_key):
    reference, indexed = Matcher(nlp.vocab), IndexedMatcher(nlp.vocab)
    for key, patterns in patterns_by_key.items():
        reference.add(key, patterns)
        indexed.add(key, patterns)
    return reference, indexed


def test_a_pattern_is_tried_only_when_all_its_required_words_are_in_the_message(nlp):
    reference, indexed = both(
        nlp,
        {
            "p": [[{"LEMMA": {"IN": ["take"]}}, {"OP": "?"}, {"LOWER": {"IN": ["pills"]}}]],
            "q": [[{"LIKE_NUM": True}, {"LEMMA": {"IN": ["pill"]}}]],
            "r": [[{"LOWER": {"IN": ["maybe"]}, "OP": "?"}, {"TEXT": {"REGEX": "^x+$"}}]],
        },
    )
    for text in ["i took the pills", "take pills", "i took 30 pill", "30 pills", "pills", "xx", "maybe xxx", "nothing"]:
        doc = nlp(text)
        assert sorted(indexed(doc)) == sorted(reference(doc)), text
    assert indexed(nlp("i took the pills"))
    assert not indexed(nlp("i took the bus"))


def test_the_same_matches_as_one_matcher_over_the_shipped_rules(nlp, root, pattern_file):
    """On every rule example and the messages of two evaluation sets: a pattern the index
    skipped would be a crisis the guard no longer sees."""
    terms, rules = parse_rules(pattern_file)

    def lemmatize(word):
        return [t.lemma_ for t in nlp(word)]

    patterns = {r.id: [v for p in r.patterns + r.unless for v in compile_pattern(p, terms, lemmatize)] for r in rules}
    reference, indexed = both(nlp, patterns)
    texts = [example for rule in rules for example in rule.examples]
    for name in ("safety.yml", "pattern_examples.yml"):
        texts += [text for text, _ in load_cases(yaml.safe_load((root / "eval" / name).read_text()))]
    assert len(texts) > 1000
    for text in texts:
        doc = nlp(normalise_quotes(text).lower())
        assert sorted(indexed(doc)) == sorted(reference(doc)), text


@pytest.mark.parametrize("text", ["", "   ", "🙂"])
def test_a_message_without_words_matches_nothing(nlp, text):
    _, indexed = both(nlp, {"p": [[{"LEMMA": {"IN": ["die"]}}]]})
    assert indexed(nlp(text)) == []
