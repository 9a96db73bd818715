"""Matches a message against the safety rules: crisis first, then clinical decisions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from bot.safety.indexed_matcher import IndexedMatcher
from bot.safety.patterns import Rule, compile_pattern, parse_categories, parse_rules, read_pattern_file, whole_message

CRISIS = "crisis"
CLINICAL = "clinical_decision"
# A missed crisis is the worst outcome, so crisis rules win over clinical ones.
PRIORITY = (CRISIS, CLINICAL)
# The key suffix of a rule's patterns that must span the whole message ("^ ... $").
WHOLE = "#whole"


@dataclass(frozen=True)
class GuardMatch:
    intent: str
    rule: str
    matched_text: str
    category: str = ""  # the kind of crisis, for a crisis rule


class SafetyGuard:
    def __init__(self, nlp, terms: Dict[str, List[str]], rules: Sequence[Rule], categories: Sequence[str] = ()) -> None:
        self.nlp = nlp
        # Most urgent first: of several kinds of crisis in one message, the first one's help
        # is named first.
        self.categories = tuple(categories)
        self.rules = {rule.id: rule for rule in rules}
        unknown = {r.intent for r in rules} - set(PRIORITY)
        if unknown:
            from bot.safety.patterns import PatternError

            raise PatternError(f"rules may only set {PRIORITY}, not {sorted(unknown)}")
        # Only the patterns whose words are in the message are tried (indexed_matcher.py).
        self.matcher = IndexedMatcher(nlp.vocab)
        self.exceptions = IndexedMatcher(nlp.vocab)
        self._lemma_cache: Dict[str, List[str]] = {}
        for rule in rules:
            self._add(self.matcher, rule.id, rule.patterns, terms)
            self._add(self.exceptions, rule.id, rule.unless, terms)

    def _add(self, matcher: IndexedMatcher, rule_id: str, patterns: Sequence[str], terms: Dict[str, List[str]]) -> None:
        # Patterns that must span the whole message are kept under a key of their own, so that
        # a match of theirs can be told apart and checked (`_rule_of`).
        for pattern in patterns:
            inner, whole = whole_message(pattern)
            matcher.add(rule_id + WHOLE if whole else rule_id, compile_pattern(inner, terms, self._lemmas))

    def _rule_of(self, doc, match_id: int, start: int, end: int) -> Optional[str]:
        """The rule a match belongs to, or None for a whole-message pattern that left words out."""
        key = self.nlp.vocab.strings[match_id]
        if not key.endswith(WHOLE):
            return key
        outside = [t for t in (*doc[:start], *doc[end:]) if not (t.is_punct or t.is_space)]
        return None if outside else key[: -len(WHOLE)]

    def _lemmas(self, word: str) -> List[str]:
        # The rule file names the same few thousand words over and over (term lists are
        # expanded in every pattern that uses them): lemmatize each once.
        if word not in self._lemma_cache:
            self._lemma_cache[word] = [t.lemma_ for t in self.nlp(unhyphenate(word))]
        return self._lemma_cache[word]

    def check(self, text: str) -> Optional[GuardMatch]:
        """The highest-priority rule that matches `text`, or None."""
        if not text or not text.strip():
            return None
        doc = self.nlp(join_reflexives(unhyphenate(undo_leetspeak(normalise_quotes(text)))).lower())
        cancelled = {self._rule_of(doc, *match) for match in self.exceptions(doc)}
        found = []
        for match_id, start, end in self.matcher(doc):
            rule_id = self._rule_of(doc, match_id, start, end)
            if rule_id is None or rule_id in cancelled:
                continue
            rule = self.rules[rule_id]
            found.append(
                (PRIORITY.index(rule.intent), self._urgency(rule.category), start, rule.id, doc[start:end].text)
            )
        if not found:
            return None
        *_, rule_id, span = min(found)
        rule = self.rules[rule_id]
        return GuardMatch(intent=rule.intent, rule=rule_id, matched_text=span, category=rule.category)

    def _urgency(self, category: str) -> int:
        return self.categories.index(category) if category in self.categories else len(self.categories)


# Phones type curly apostrophes ("don’t"); the lemma table knows only the straight ones.
# Double quotes around a word ('scary or “bad” trips') would stand between the words of a
# pattern as tokens of their own: they are dropped (a space instead would be a token too).
_QUOTES = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u02bc": "'",
        "\uff07": "'",
        '"': None,
        "\u201c": None,
        "\u201d": None,
        "\u201e": None,
        "\u00ab": None,
        "\u00bb": None,
    }
)


def normalise_quotes(text: str) -> str:
    return text.translate(_QUOTES)


# Letters written as digits or signs to get past a filter ("sl!tt!ng my wr!$t", "k1ll"), read
# back as letters. Only inside a word that has letters, between its first and last character:
# "mp3", "5mg", "24/7", "help!" and "$100" stay as they are.
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
_DISGUISED_WORD = re.compile(r"(?<=[A-Za-z])[0134579@$!]+(?=[A-Za-z0-9@$!]*[A-Za-z])")


def undo_leetspeak(text: str) -> str:
    return _DISGUISED_WORD.sub(lambda m: m.group(0).translate(_LEET), text)


# A hyphen inside a word is read as a space, in the rules and in messages alike: patients write
# "date-rape drug", "rape-survivors" and "self-harm" as often as "date rape drug", and a rule
# (or its exception) written one way must match the other.
_INNER_HYPHEN = re.compile(r"(?<=[^\W\d_])-(?=[^\W\d_])")


def unhyphenate(text: str) -> str:
    return _INNER_HYPHEN.sub(" ", text)


# "kill her self" is "kill herself" typed apart: read as one word, or "her" would be another
# person and a suicide would get the help for harm to others. Not before the second half of a
# self- word ("my self harm scars", "her self-esteem"), which the rules read as two words.
_SELF_COMPOUND = "|".join(
    """harm injur hat loath esteem care worth confiden control conscious doubt image respect love
    medicat destruct sabotag isolat talk pity blame defen""".split()
)
_SPLIT_REFLEXIVE = re.compile(
    rf"\b(my|your|her|him|them|our|it)\s+(self|selves)\b(?![\s-]*(?:{_SELF_COMPOUND}))", re.IGNORECASE
)


def join_reflexives(text: str) -> str:
    return _SPLIT_REFLEXIVE.sub(r"\1\2", text)


def load_guard(path: Path, nlp=None) -> SafetyGuard:
    from bot.spacy_pipeline import load_pipeline

    data = read_pattern_file(path)
    terms, rules = parse_rules(data)
    return SafetyGuard(nlp or load_pipeline(), terms, rules, [c.id for c in parse_categories(data)])
