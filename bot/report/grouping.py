"""Groups the questions the bot could not answer by the words they share (pure).

So a clinic sees "cost, infusion, price: 14 questions" instead of 14 separate lines, and
knows which content is missing. Deliberately simple and predictable: shared content words,
no model, same input gives the same groups.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Dict, FrozenSet, List

# Words that say nothing about what content is missing; "ketamine" is in almost every question.
STOP_WORDS = frozenset(
    """
a about after again all also am an and any are as at be been before being but by can could did do does
doing don for from get got had has have having how i if in into is it its just know me more most my
no not of on one or our out over please really should so some such than that the their them then there
these they this to too up us very was we were what when where which while who why will with would you
your yes hi hello thanks thank tell want need like ketamine much many way use used using go going
dont im ive id cant name""".split()
)


def _stem(word: str) -> str:
    for suffix, repl in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + repl
    return word


# Different words for the same missing content, so "how much is it" and "what is the price"
# land in one group.
SAME_AS = {
    "how much": "cost",
    "price": "cost",
    "prices": "cost",
    "fee": "cost",
    "fees": "cost",
    "pay": "cost",
    "afford": "cost",
    "expensive": "cost",
    "cheap": "cost",
    "opening": "open",
    "hours": "open",
    "parking": "park",
}


def content_words(text: str) -> FrozenSet[str]:
    text = re.sub(r"\[[A-Z_]+\]", " ", text).lower()  # redaction placeholders
    for phrase, word in SAME_AS.items():
        text = re.sub(r"\b" + phrase + r"\b", word, text)
    return frozenset(
        _stem(w) for w in re.findall(r"[a-z]+", text.lower().replace("'", "")) if w not in STOP_WORDS and len(w) > 2
    )


def similarity(a: FrozenSet[str], b: FrozenSet[str]) -> float:
    """Share of the shorter question's words found in the other (1.0: one contains the other)."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def group_similar(texts: List[str], threshold: float = 0.5) -> List[Dict[str, Any]]:
    """[{label, count, texts: [{text, count}]}], largest group first."""
    counts = Counter(t.strip() for t in texts if t and t.strip())
    groups: List[Dict[str, Any]] = []
    for text, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].lower())):
        words = content_words(text)
        best, best_score = None, 0.0
        for group in groups:
            score = max(similarity(words, member) for member in group["_words"])
            if score > best_score:
                best, best_score = group, score
        if best is not None and best_score >= threshold:
            best["_words"].append(words)
            best["texts"].append({"text": text, "count": n})
            best["count"] += n
        else:
            groups.append({"_words": [words], "texts": [{"text": text, "count": n}], "count": n})
    out: List[Dict[str, Any]] = []
    for group in groups:
        counted = Counter(w for member in group["_words"] for w in member)
        label = ", ".join(w for w, _ in sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))[:3]) or "(other)"
        out.append({"label": label, "count": group["count"], "texts": group["texts"]})
    return sorted(out, key=lambda g: (-g["count"], g["label"]))
