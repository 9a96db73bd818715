"""The pattern language of content/safety_patterns.yml, compiled to spaCy Matcher patterns.

A pattern is a sequence of words separated by spaces. Each word may be:

    die              a base form matches every form of the word ("dies", "died", "dying")
    fasting          any other form matches only as written (not "fast")
    =numb            exactly this word (the lemma of "number" is also "numb")
    kill|end|take    any one of these words
    @medication      any word of the term list `medication` in the same file
    @medication|drug a word of that list, or "drug"
    want?            optional: the word may be missing
    #number          any number ("30", "200", "ten")
    #urgent_bp       a blood-pressure reading that needs emergency care ("220/130", "190 over 100",
                     "70 over 40"): see URGENT_BP
    *                a gap of up to three words of any kind

A pattern written between "^" and "$" ("^ what be @suicide $") matches only a message that it
spans whole, punctuation aside: an exception for a question asked and nothing more ("What is
suicide?"), which any word told with it ("what is suicide like, I want to try it") undoes.

Matching is on lower-cased lemmas, so capitals, plurals and tenses do not matter; common
misspellings are written out as alternatives ("suicide|suicidal|suicidel|sucide").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Sequence, Tuple

GAP_WIDTH = 3  # "*" spans at most this many words: near enough to belong to one thought

# A blood-pressure reading that needs emergency care: the upper number 180 or more or the lower
# 120 or more (a hypertensive crisis, as the American Heart Association draws the line), or
# the upper number under 80 (shock). "120/80" or "140 over 90" is a question for the provider,
# not an emergency, and a date such as "10/12" is no reading at all.
_SYSTOLIC_URGENT = r"(?:1[89]\d|[23]\d\d|[4-7]\d)"
_DIASTOLIC_URGENT = r"(?:1[2-9]\d|2\d\d)"
_READING = r"\d{2,3}"
URGENT_BP_WORD = "#urgent_bp"
# The same readings in running text, for the widget's fail-safe (bot/safety/failsafe.py).
URGENT_BP_REGEX = rf"\b(?:{_SYSTOLIC_URGENT}\W*(?:/|over)\W*{_READING}|{_READING}\W*(?:/|over)\W*{_DIASTOLIC_URGENT})\b"
URGENT_BP: List[List[Dict[str, Any]]] = [
    # As one token: "220/130".
    [{"TEXT": {"REGEX": rf"^(?:{_SYSTOLIC_URGENT}/{_READING}|{_READING}/{_DIASTOLIC_URGENT})$"}}],
    # As three: "220 over 130", "220 / 130".
    [
        {"TEXT": {"REGEX": rf"^{_SYSTOLIC_URGENT}$"}},
        {"LOWER": {"IN": ["over", "/"]}},
        {"TEXT": {"REGEX": rf"^{_READING}$"}},
    ],
    [
        {"TEXT": {"REGEX": rf"^{_READING}$"}},
        {"LOWER": {"IN": ["over", "/"]}},
        {"TEXT": {"REGEX": rf"^{_DIASTOLIC_URGENT}$"}},
    ],
]
_ALTERNATIVE = r"(?:@[a-z_]+|=?[^\s|?*@=]+)"
_WORD = re.compile(rf"^({_ALTERNATIVE}(?:\|{_ALTERNATIVE})*)(\?)?$")

Lemmatize = Callable[[str], List[str]]


def read_pattern_file(path: Path) -> Mapping[str, Any]:
    """The rule file's contents. Read with libyaml's parser where PyYAML was built with it: the
    file is read at every start of the bot, and the pure-Python parser took half a second."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=loader) or {}


class PatternError(ValueError):
    """A pattern or rule in the safety pattern file cannot be used."""


@dataclass(frozen=True)
class Rule:
    id: str
    intent: str
    description: str
    patterns: Sequence[str]
    examples: Sequence[str] = field(default_factory=tuple)
    # Patterns that cancel this rule for the message: e.g. "optimal dosages" in a question about
    # research is the article's own topic, not a dosing decision.
    unless: Sequence[str] = field(default_factory=tuple)
    # The kind of crisis (crisis rules only): which help the response names first.
    category: str = ""


WHOLE_START, WHOLE_END = "^", "$"


def whole_message(pattern: str) -> Tuple[str, bool]:
    """(the pattern without its anchors, whether it must span the whole message)."""
    words = pattern.split()
    if words[:1] == [WHOLE_START] and words[-1:] == [WHOLE_END] and len(words) > 2:
        return " ".join(words[1:-1]), True
    if WHOLE_START in words or WHOLE_END in words:
        raise PatternError(f"pattern {pattern!r}: '^' and '$' go together, around the whole pattern")
    return pattern, False


def compile_pattern(pattern: str, terms: Mapping[str, Sequence[str]], lemmatize: Lemmatize) -> List[List[dict]]:
    """One pattern string -> spaCy Matcher token-spec lists (several when a word mixes base
    forms, matched by lemma, with exact forms, matched as written). Anchors are not token
    specs: `whole_message` says whether the match must span the message."""
    variants: List[List[dict]] = [[]]
    words = whole_message(pattern)[0].split()
    if not words or all(w == "*" for w in words):
        raise PatternError(f"pattern {pattern!r} matches nothing in particular")
    for word in words:
        options: List[List[Dict[str, Any]]]
        if word == "*":
            options = [[{"OP": "?"}] * GAP_WIDTH]
        elif word in ("#number", "#number?"):
            options = [[{"LIKE_NUM": True, **({"OP": "?"} if word.endswith("?") else {})}]]
        elif word == URGENT_BP_WORD:
            options = URGENT_BP
        else:
            options = [[spec] for spec in _word_specs(word, pattern, terms, lemmatize)]
        variants = [v + o for v in variants for o in options]
        if len(variants) > MAX_VARIANTS:
            raise PatternError(f"pattern {pattern!r} mixes too many exact and base forms; split it")
    return variants


MAX_VARIANTS = 64


def _word_specs(word: str, pattern: str, terms: Mapping[str, Sequence[str]], lemmatize: Lemmatize) -> List[dict]:
    m = _WORD.match(word)
    if not m:
        raise PatternError(f"cannot read {word!r} in pattern {pattern!r}")
    body, optional = m.group(1), m.group(2)
    alternatives: List[str] = []
    for alt in body.split("|"):
        if alt.startswith("@"):
            if alt[1:] not in terms:
                raise PatternError(f"unknown term list {alt} in pattern {pattern!r}")
            alternatives += terms[alt[1:]]
        else:
            alternatives.append(alt)
    base, exact = set(), set()
    for alt in alternatives:
        word_only = alt.lower().lstrip("=")
        forms = lemmatize(word_only)
        if len(forms) != 1:
            raise PatternError(f"{alt!r} in pattern {pattern!r} is not one word; write the words separately")
        # A base form ("die") matches all its forms by lemma. Any other form ("fasting",
        # "liver") matches only as written: lemmas would also match "fast" and "live".
        if alt.startswith("=") or forms[0] != word_only:
            exact.add(word_only)
        else:
            base.add(word_only)
    specs: List[Dict[str, Any]] = []
    if base:
        specs.append({"LEMMA": {"IN": sorted(base)}})
    if exact:
        specs.append({"LOWER": {"IN": sorted(exact)}})
    if optional:
        specs = [{**spec, "OP": "?"} for spec in specs]
    return specs


@dataclass(frozen=True)
class CrisisCategory:
    id: str
    title: str  # for the patient: "Overdose or poisoning"
    help: Sequence[str]  # help line kinds (clinic.yml) in the order they are named; "emergency" = 911 etc.


EMERGENCY = "emergency"


def parse_categories(data: Mapping) -> tuple:
    """The kinds of crisis, most urgent first (`crisis_categories` in the pattern file)."""
    raw = data.get("crisis_categories") if isinstance(data, Mapping) else None
    if not isinstance(raw, list) or not raw:
        raise PatternError("the pattern file needs a `crisis_categories:` list, most urgent first")
    categories = []
    for entry in raw:
        if not isinstance(entry, Mapping) or not re.fullmatch(r"[a-z_]+", str(entry.get("id", ""))):
            raise PatternError(f"crisis category {entry!r} needs a lower-case `id`")
        help_kinds = entry.get("help")
        if not entry.get("title") or not isinstance(help_kinds, list) or not help_kinds:
            raise PatternError(f"crisis category {entry['id']!r} needs a `title` and a `help` list")
        categories.append(CrisisCategory(str(entry["id"]), str(entry["title"]), tuple(map(str, help_kinds))))
    ids = [c.id for c in categories]
    if len(ids) != len(set(ids)):
        raise PatternError(f"duplicate crisis categories: {ids}")
    return tuple(categories)


def parse_rules(data: Mapping) -> tuple:
    """The raw YAML mapping -> (terms, rules), checking the structure."""
    if not isinstance(data, Mapping) or "rules" not in data:
        raise PatternError("the pattern file needs a `rules:` list")
    categories = [c.id for c in parse_categories(data)]
    general_talk = [str(p) for p in data.get("general_talk") or ()]
    terms: Dict[str, List[str]] = {}
    for name, words in (data.get("terms") or {}).items():
        if not re.fullmatch(r"[a-z_]+", str(name)) or not isinstance(words, list) or not words:
            raise PatternError(f"term list {name!r} must be a non-empty list with a lower-case name")
        # YAML reads a bare on/off/yes/no as true/false: such words must be quoted.
        not_words = [w for w in words if not isinstance(w, str)]
        if not_words:
            raise PatternError(f"term list {name!r} has entries that are not words (quote them): {not_words}")
        terms[str(name)] = [w.lower() for w in words]
    rules: List[Rule] = []
    for raw in data["rules"]:
        missing = [k for k in ("id", "intent", "description", "patterns") if not raw.get(k)]
        if missing:
            raise PatternError(f"rule {raw.get('id', '?')!r} is missing {', '.join(missing)}")
        category = str(raw.get("category") or "")
        if raw["intent"] == "crisis" and category not in categories:
            raise PatternError(f"crisis rule {raw['id']!r} needs a `category` from {', '.join(categories)}")
        if raw["intent"] != "crisis" and category:
            raise PatternError(f"rule {raw['id']!r}: only crisis rules have a category")
        rules.append(
            Rule(
                id=str(raw["id"]),
                intent=str(raw["intent"]),
                description=str(raw["description"]),
                patterns=tuple(str(p) for p in raw["patterns"]),
                examples=tuple(str(e) for e in raw.get("examples") or ()),
                # `skip_general_talk`: the rule's own exceptions, and every `general_talk`
                # pattern (statistics, research, school work...).
                unless=tuple(str(u) for u in raw.get("unless") or ())
                + (tuple(general_talk) if raw.get("skip_general_talk") else ()),
                category=category,
            )
        )
    ids = [r.id for r in rules]
    if len(ids) != len(set(ids)):
        raise PatternError(f"duplicate rule ids: {sorted({i for i in ids if ids.count(i) > 1})}")
    return terms, rules
