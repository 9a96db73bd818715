"""Replaces personal data in patient text with typed placeholders: `[EMAIL]`, `[PHONE]`, ...

Pure functions, no I/O. The tracker store runs every stored user message through
`redact_event` before it writes, so the database never holds what these patterns catch.

The patterns are tuned for the questions this bot gets: they must not eat the words that
carry the meaning of a normal question ("BDNF", "NMDA", "5 sessions", "2 weeks", "0.5 mg/kg").
What they cannot catch (a name not introduced by "my name is ...", a street address) is
listed in docs/privacy.md.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Callable, Dict, List, Pattern, Tuple, Union

EMAIL, PHONE, DATE, ID_NUMBER, URL, NAME = "EMAIL", "PHONE", "DATE", "ID_NUMBER", "URL", "NAME"
KINDS = (EMAIL, PHONE, DATE, ID_NUMBER, URL, NAME)


def placeholder(kind: str) -> str:
    return f"[{kind}]"


# Top-level domains people actually type. A closed list, because an open `word.word` rule
# would also eat "e.g." and sentence ends typed without a space ("ptsd.what").
_TLD = (
    r"(?:com|org|net|edu|gov|mil|int|info|biz|io|co|uk|us|ca|au|nz|ie|de|fr|es|it|nl|be|ch|at|se|"
    r"no|dk|fi|pl|pt|br|mx|in|jp|cn|za|me|health|clinic|care|app|dev|online|site|email|mail)"
)

_AT = r"(?:\s*@\s*|\s*[\[({<]\s*at\s*[\])}>]\s*|\s+at\s+)"
_DOT = r"(?:\.|\s*[\[({<]\s*dot\s*[\])}>]\s*|\s+dot\s+)"
_LOCAL = r"[\w+%-]+(?:" + _DOT + r"[\w+%-]+)*"
_DOMAIN = r"[\w-]+(?:" + _DOT + r"[\w-]+)*" + _DOT + _TLD + r"\b"

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_ORD = r"(?:st|nd|rd|th)?"
_YEAR = r"(?:'?\d{2}|\d{4})"

# A word that ends a name: after "my name is Jane Doe and ..." the name stops at "and".
_NOT_NAME = {
    "and",
    "but",
    "or",
    "so",
    "i",
    "im",
    "i'm",
    "id",
    "i'd",
    "ive",
    "i've",
    "from",
    "with",
    "what",
    "how",
    "why",
    "when",
    "where",
    "who",
    "can",
    "could",
    "would",
    "should",
    "will",
    "is",
    "am",
    "are",
    "was",
    "were",
    "have",
    "has",
    "had",
    "my",
    "the",
    "a",
    "an",
    "to",
    "do",
    "does",
    "did",
    "about",
    "here",
    "speaking",
    "calling",
    "please",
    "thanks",
    "thank",
    "and",
    "just",
    "also",
    "really",
    "not",
    "at",
    "in",
    "on",
    "for",
    "of",
    "by",
    "it",
    "its",
    "it's",
    "this",
    "that",
    "you",
    "your",
    "we",
    "our",
    "they",
    "he",
    "she",
    "me",
    "want",
    "wanted",
    "need",
    "like",
    "know",
    "ask",
    "asking",
    "question",
    "ketamine",
    "doctor",
    "dr",
    "mr",
    "mrs",
    "ms",
    "miss",
    "if",
    "then",
    "because",
    "as",
    "yes",
    "no",
    "back",
    "up",
    "out",
    "later",
    "now",
    "today",
    "tomorrow",
    "again",
    "asap",
    "anytime",
    "whenever",
}
_WORD = r"[^\W\d_][^\W\d_'’.-]*"


def _name_span(text: str, start: int) -> Tuple[int, int]:
    """The span of up to three name words beginning at `start`, stopping at a non-name word."""
    pos, end, words = start, start, 0
    first_upper = False
    for m in re.finditer(r"\s*(" + _WORD + r")", text[start:]):
        if m.start() != pos - start or words == 3:
            break
        word = m.group(1)
        if word.lower().strip("'’.-") in _NOT_NAME:
            break
        # A capitalised name ends at the first lower-case word ("Dr. Patel said ...").
        if words and first_upper and not word[0].isupper():
            break
        if not words:
            first_upper = word[0].isupper()
        words += 1
        pos = start + m.end()
        end = start + m.start(1) + len(word.rstrip(".'’-"))
    return (start, end) if words else (start, start)


def _sub(
    pattern: Pattern[str], kind: str, group: int = 0, accept: Callable[[re.Match], bool] = lambda m: True
) -> Callable[[str, Counter], str]:
    def apply(text: str, counts: Counter) -> str:
        out, last = [], 0
        for m in pattern.finditer(text):
            if not accept(m):
                continue
            s, e = m.span(group)
            out.append(text[last:s])
            out.append(placeholder(kind))
            counts[kind] += 1
            last = e
        out.append(text[last:])
        return "".join(out)

    return apply


def _digits(s: str) -> int:
    return sum(c.isdigit() for c in s)


def _names(text: str, counts: Counter) -> str:
    """Names introduced by the phrases patients use to introduce themselves or others."""
    out, last = [], 0
    for m in _NAME_INTRO.finditer(text):
        if m.start() < last:
            continue
        s, e = _name_span(text, m.end())
        if e <= s:
            continue
        # "this is ..." only introduces a name when the next words say so ("this is Mary
        # from the clinic", "this is Mary here"); otherwise "this is new to me" would lose "new".
        if m.group("weak") and not re.match(r"\s+(?:from|here|speaking|calling)\b", text[e:], re.I):
            continue
        out.append(text[last:s])
        out.append(" " + placeholder(NAME) if text[s : s + 1].isspace() else placeholder(NAME))
        counts[NAME] += 1
        last = e
    out.append(text[last:])
    return "".join(out)


_NAME_INTRO = re.compile(
    r"(?:\bmy\s+(?:full\s+|first\s+|last\s+|real\s+)?name\s+is|\bmy\s+name'?s|\bname\s*:|"
    r"\bi\s*(?:'|’)?\s*m\s+called|\bi\s+am\s+called|\bcall\s+me|\bi\s+go\s+by|"
    r"\b(?:my|our)\s+(?:\w+\s+)?(?:son|daughter|husband|wife|partner|mom|mum|mother|dad|father|"
    r"brother|sister|friend|child|kid|doctor|psychiatrist|therapist|gp)\s+(?:is\s+)?(?:called|named)|"
    r"\b(?:dr|doctor|mr|mrs|ms|miss|nurse)\.?(?=\s+[A-Z])|"
    r"\bsigned\s*,?|\b(?:regards|thanks|cheers|best)\s*,(?=\s*[A-Z])|"
    r"(?P<weak>\bthis\s+is|\bit'?s))",
    re.IGNORECASE,
)

_STEPS: List[Callable[[str, Counter], str]] = [
    # Emails first: they contain what the URL and name rules would otherwise take apart.
    _sub(re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+", re.I), EMAIL),
    _sub(
        re.compile(r"(?<![\w.])" + _LOCAL + _AT + _DOMAIN, re.I),
        EMAIL,
        # " at " written out only counts when the address is spelled out too ("dot", or a
        # domain), so "looking at ketamine" stays.
        accept=lambda m: bool(re.search(r"@|[\[({<]\s*at|\bdot\b|\.\w", m.group(0), re.I)),
    ),
    _sub(re.compile(r"\b(?:https?://|ftp://|www\.)[^\s<>\"']+", re.I), URL),
    _sub(re.compile(r"\b[\w-]+(?:\.[\w-]+)*\." + _TLD + r"\b(?:/[^\s<>\"']*)?", re.I), URL),
    # Identity numbers named as such: "NHS number 943 476 5919", "MRN: AB-123456".
    _sub(
        re.compile(
            r"\b(?:nhs|mrn|medical\s+record|patient|hospital|chart|member|policy|insurance|medicare|medicaid|"
            r"ssn|social\s+security|passport|licen[cs]e|id|account|record)\s*(?:number|no\.?|num|#|id)?\s*"
            r"(?:is|:|=|-)?\s*(?P<v>(?=[A-Z-]*\d)[A-Z0-9][A-Z0-9 -]{3,}[A-Z0-9])\b",
            re.I,
        ),
        ID_NUMBER,
        group=1,
        accept=lambda m: _digits(m.group("v")) >= 4,
    ),
    _sub(re.compile(r"\b\d{3}-\d{2}-\d{4}\b"), ID_NUMBER),  # US social security number
    _sub(re.compile(r"\b\d{4}[/.-]\d{1,2}[/.-]\d{1,2}\b"), DATE),
    _sub(re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})\b"), DATE),
    _sub(re.compile(r"\b\d{1,2}" + _ORD + r"\s*(?:of\s+)?" + _MONTH + r"\b\.?(?:,?\s*" + _YEAR + r"\b)?", re.I), DATE),
    _sub(re.compile(r"\b" + _MONTH + r"\b\.?\s+\d{1,2}" + _ORD + r"\b(?:,?\s*" + _YEAR + r"\b)?", re.I), DATE),
    _sub(re.compile(r"\b" + _MONTH + r"\b\.?,?\s+\d{4}\b", re.I), DATE),
    # Birth year on its own: "born in 1985".
    _sub(
        re.compile(
            r"\b(?:born(?:\s+(?:in|on))?|dob\s*:?|date\s+of\s+birth\s*:?(?:\s+is)?|"
            r"birthday\s*(?:is|:)?)\s+(\d{4})\b",
            re.I,
        ),
        DATE,
        group=1,
    ),
    # Phone numbers in any national or international layout, told apart from doses and
    # counts by their length: 7 to 15 digits (the E.164 maximum). Longer runs are card or
    # account numbers.
    _sub(
        re.compile(r"(?<![\w+])(?:\+|00)?\s*\(?\d[\d().\s-]{5,}\d(?!\w)"),
        PHONE,
        accept=lambda m: 7 <= _digits(m.group(0)) <= 15 and not re.fullmatch(r"\d+\.\d+", m.group(0).strip()),
    ),
    _sub(re.compile(r"(?<![\w+])\d[\d\s-]{14,}\d(?!\w)"), ID_NUMBER, accept=lambda m: _digits(m.group(0)) > 15),
    # Anything left that is a long number or letters-plus-digits code is an identifier.
    _sub(re.compile(r"\b(?:[A-Z]{1,3}-?)?\d{6,}\b", re.I), ID_NUMBER),
    _names,
]


def redact(text: str) -> Tuple[str, Counter]:
    """`text` with personal data replaced by placeholders, and how many of each kind."""
    counts: Counter = Counter()
    if not text:
        return text, counts
    for step in _STEPS:
        text = step(text, counts)
    return text, counts


# Keys of a stored user event that hold Rasa's own identifiers, not patient text.
_STRUCTURAL_KEYS = {
    "event",
    "timestamp",
    "message_id",
    "input_channel",
    "intent",
    "intent_ranking",
    "response_selector",
    "entity",
    "extractor",
    "start",
    "end",
    "confidence_entity",
    "rule",
    "intent_name",
    "classifier_intent",
    "confidence",
    "text_tokens",
}

Json = Union[Dict[str, Any], List[Any], str, int, float, bool, None]


def _redact_json(value: Json, counts: Counter, key: str = "") -> Json:
    if key in _STRUCTURAL_KEYS:
        return value
    if isinstance(value, str):
        redacted, found = redact(value)
        counts.update(found)
        return redacted
    if isinstance(value, dict):
        return {k: _redact_json(v, counts, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_json(v, counts) for v in value]
    return value


def redact_event(event: Dict[str, Any]) -> Tuple[Dict[str, Any], Counter]:
    """A stored Rasa event (its `as_dict()`) with patient text redacted.

    User messages are redacted everywhere the text is repeated (text, parse data, entity
    values, the safety guard's matched words, metadata); slot values and added entities too,
    as they may hold what a patient typed. The bot's own messages are the clinic's text and
    are left as they are. Each repeated copy counts once per place it was found.
    """
    counts: Counter = Counter()
    kind = event.get("event")
    if kind == "user":
        out = _redact_json(event, counts)
    elif kind in ("slot", "entities"):
        out = {**event, **{k: _redact_json(event[k], counts) for k in ("value", "entities") if k in event}}
    elif kind != "bot" and event.get("metadata"):
        out = {**event, "metadata": _redact_json(event["metadata"], counts)}
    else:
        out = event
    return out, counts  # type: ignore[return-value]
