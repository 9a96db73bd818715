"""Several questions in one message: where to split it, and what to answer (pure functions).

Rasa gives a message one intent, but patients write "What is ketamine and can I take it with
my Zoloft?". The message is split into its parts, each part is classified like a message of
its own (bot/nlu/multi_question.py), and the parts' intents are folded into what the bot
answers, safety first:

- a crisis anywhere (the classifier and the guard read the whole message first): the crisis
  response, nothing else (the rest can wait);
- a clinical decision anywhere: the fixed safety response, then at most one article answer
  for a general question in the same message;
- two article questions: both answers, at most two, the more specific first ("what is
  ketamine" is the preamble of "what is ketamine and how does it help PTSD?");
- one article question and one the article does not cover: the answer, then the decline.

A message that is one question is left exactly as the classifier and the guard decided.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from bot.nlu.decision import CLINICAL, CRISIS, OUT_OF_SCOPE, Thresholds
from bot.nlu.decision import is_article_topic as is_topic

# Answers the rest of the message never replaces: the crisis response, and the clinic's
# contact details for a patient who asked how to reach a person.
KEEP_WHOLE = (CRISIS, "human_handoff")
MAX_PARTS = 4  # more parts than this is a story, not a list of questions: the rest is not split
MAX_ANSWERS = 2  # two answers at most: a third would push the first out of a phone's screen
# The opening of "What is ketamine, and how does it help with PTSD?" is a preamble: the
# question the patient came with is the other one, so its answer comes first (both are given).
GENERAL_TOPIC = "topic_what_is_ketamine"
# A part's clinical decision counts when a safety rule saw it, or when the classifier is as sure
# of it as it must be of a whole message for the safety response to come first. A part has
# lost its context: "is ketamine something used for treatment-resistant cases?" after "My
# mom's depression never responded to pills." was a weak clinical guess (46%) on its own, while
# the whole message was a confident article question. (The classifier's default threshold,
# which config.yml keeps.)
PART_CLINICAL_MIN = Thresholds().clinical

# Words that open a question or a request. A clause after "and", "also" or "plus" is a new
# question only when it opens with one of these: "is ketamine used for depression and anxiety"
# stays one question.
_OPENERS = (
    r"what|what's|whats|how|why|when|where|which|who|is|isn't|are|aren't|does|doesn't|do|did|can|"
    r"could|will|would|should|shall|may|might|am|was|were|tell|explain|describe|any"
)
# Asking without a question word: "also curious how it builds new synapses", "I was wondering
# what BDNF is".
_ASKING = (
    r"(?:i'?m\s+|i\s+am\s+|im\s+|i\s+was\s+|just\s+)?(?:curious|wondering|interested)"
    r"|i\s+wonder|i\s+(?:want|wanna|would\s+like|'d\s+like)\s+to\s+know"
)
_QUESTION_START = re.compile(rf"^\W*(?:{_OPENERS}|{_ASKING})\b", re.IGNORECASE)
# What a part may open with before its question: "And how fast is it?", "Also, what is BDNF?",
# and the turn back to the question after some news told first ("my feet are killing me after
# a double shift. anyway what even is ketamine", "RIP my basil. unrelated but what is bdnf").
_LEADING_CONNECTOR = re.compile(
    r"^\W*(?:(?:and|also|plus|but|so|oh|ok|okay|then|anyway|anyways|unrelated|btw|well|lol|haha|random|quick|question)"
    r"\b[\s,:]*)+",
    re.IGNORECASE,
)
# Sentence ends (kept with their sentence) and line breaks.
_SENTENCE_END = re.compile(r"(?<=[?!.;])\s+|\s*\n+\s*")
_AND_CONNECTOR = re.compile(rf"\s*,?\s+(?:and|also|plus|&)\s+(?:also\s+)?(?=(?:{_OPENERS})\b)", re.IGNORECASE)
_COMMA_CONNECTOR = re.compile(rf"\s*,\s*(?=(?:{_OPENERS})\b\s+\w+\s+\w+)", re.IGNORECASE)


def split_questions(text: str) -> List[str]:
    """The parts of a message: its sentences, and the clauses joined by "and"/"also"/"plus"
    that open a new question. One part (the whole text) when there is nothing to split.

    A part of one word ("hi", "thanks") is not a question of its own and stays with the next.
    """
    if not text or text.lstrip().startswith("/"):  # a button's payload is never split
        return [text] if text else []
    parts: List[str] = []
    for sentence in _SENTENCE_END.split(text.strip()):
        parts.extend(clause for clause in _clauses(sentence) if clause)
    merged: List[str] = []
    carry = ""
    for part in parts:
        part = f"{carry} {part}".strip() if carry else part
        carry = part if len(re.findall(r"\w+", part)) < 2 else ""
        if not carry:
            merged.append(part)
    if carry:
        if merged:
            merged[-1] = f"{merged[-1]} {carry}"
        else:
            merged.append(carry)
    if len(merged) > MAX_PARTS:
        merged = [*merged[: MAX_PARTS - 1], " ".join(merged[MAX_PARTS - 1 :])]
    return merged if len(merged) > 1 else [text]


def _clauses(sentence: str) -> List[str]:
    """A sentence's clauses that open a new question after "and", "also", "plus" or a comma.

    A comma opens a new question only after a question ("what is ketamine, can I take it with
    Zoloft?"). After a statement the question needs it: in "my husband has PTSD, is ketamine
    studied for that?" the "that" is the PTSD.
    """
    clauses: List[str] = []
    for piece in _AND_CONNECTOR.split(sentence):
        current, *rest = _COMMA_CONNECTOR.split(piece)
        for clause in rest:
            if is_question(current):
                clauses.append(current.strip())
                current = clause
            else:
                current = f"{current}, {clause}"
        clauses.append(current.strip())
    return clauses


def is_question(part: str) -> bool:
    """Asked, not told: it ends with "?", or it or a clause after one of its commas opens with
    a question word or a request. Phones drop the question mark: in "my psych says im
    bipolar, could ketamine flip me into mania." the question is after the comma."""
    if part.rstrip().endswith("?"):
        return True
    clauses = [part, *(m.group(0) for m in _AFTER_COMMA.finditer(part))]
    return any(_QUESTION_START.match(_LEADING_CONNECTOR.sub("", clause)) for clause in clauses)


# A clause after a comma that opens like a question of at least three words ("could ketamine
# flip me"). Not "which", "who", "when", "where" or "was": after a comma they mostly open a
# clause that tells ("I take Lexapro, which helps a lot").
_AFTER_COMMA_OPENERS = r"what|what's|whats|how|why|is|isn't|are|aren't|does|doesn't|do|can|could|will|would|should"
_AFTER_COMMA = re.compile(rf"(?<=,)\s*(?:{_AFTER_COMMA_OPENERS})\b\s+\w+\s+\w+.*", re.IGNORECASE)


@dataclass(frozen=True)
class Outcome:
    """What the classifier and the guard made of a message or of one part of it."""

    intent: str
    confidence: float
    crisis_kind: Optional[str] = None
    by_rule: bool = False  # a safety rule fired: phrase-specific, so it counts in a statement too
    question: bool = True


@dataclass(frozen=True)
class Answer:
    """What to answer: the intent the rules respond to, then any more answers, in order."""

    intent: str
    confidence: float
    crisis_kind: Optional[str] = None
    more: Tuple[str, ...] = ()  # intents whose answers follow the first: topic_* or out_of_scope


def _unique(items: Sequence[str]) -> List[str]:
    return list(dict.fromkeys(items))


def combine(whole: Outcome, parts: Sequence[Outcome]) -> Answer:
    """The answer to a message from the outcome of the whole and of each of its parts.

    Only a part that asks something counts for an answer: "I have depression. What is
    ketamine?" is a question about ketamine, not a request for advice. A safety rule counts in
    any part, asked or told (its phrases are specific).
    """
    unchanged = Answer(whole.intent, whole.confidence, whole.crisis_kind)
    if len(parts) < 2 or whole.intent in KEEP_WHOLE:
        return unchanged
    # A crisis is decided on the whole message only, by the classifier and the guard as for
    # any message. A part has lost the context around it: the classifier called "im
    # breastfeeding" and "i drink most nights" crises on their own, and a rule on a part would
    # escape the `unless` that the rest of the message triggers ("I read about suicide rates.").
    asked = [p for p in parts if p.question or p.by_rule]
    topics = sorted(_unique([p.intent for p in asked if is_topic(p.intent)]), key=lambda t: t == GENERAL_TOPIC)
    clinical = next(
        (p for p in asked if p.intent == CLINICAL and (p.by_rule or p.confidence >= PART_CLINICAL_MIN)), None
    )
    if whole.intent == CLINICAL or clinical is not None:
        confidence = whole.confidence if whole.intent == CLINICAL else clinical.confidence  # type: ignore[union-attr]
        return Answer(CLINICAL, confidence, None, tuple(topics[:1]))
    if len(topics) >= MAX_ANSWERS:
        first = next(p for p in asked if p.intent == topics[0])
        return Answer(first.intent, first.confidence, None, tuple(topics[1:MAX_ANSWERS]))
    declined = any(p.intent == OUT_OF_SCOPE for p in asked)
    if len(topics) == 1:
        part = next(p for p in asked if p.intent == topics[0])
        # The whole message has more context than its parts: a topic it was sure of stays.
        main = whole if is_topic(whole.intent) else part
        return Answer(main.intent, main.confidence, None, (OUT_OF_SCOPE,) if declined else ())
    return unchanged
