"""From the classifier's probabilities to one intent: safety first, then a confident answer.

The costs are not symmetric. A crisis message that gets an article answer can cost a life; a
personal clinical question that gets an article answer plays doctor; a general question that
gets the safety response only sends the patient to their provider. So the safety intents win
as soon as they are plausible, at a lower probability than any article answer needs, and an
article answer needs enough probability that a wrong one is unlikely; below that the patient
gets the honest "I can't answer that".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Collection, List, Sequence, Tuple

CRISIS = "crisis"
CLINICAL = "clinical_decision"
FALLBACK = "nlu_fallback"  # Rasa's name for "unsure"; a rule answers it with the decline
OUT_OF_SCOPE = "out_of_scope"
TOPIC_PREFIX = "topic_"
TOPIC_MENU = "topic_menu"  # named like a topic, but the list of topics, not an article answer
MAX_SUGGESTIONS = 3  # buttons under "The article covers something close to this"
# A topic less probable than this is noise, not something close: it gets no button even when
# a better one does.
SUGGESTION_FLOOR = 0.1
# Intents that mean nothing without their entity: "what does ... mean?" is a glossary question
# only when it names a word of the glossary; otherwise the best other intent answers it (a
# topic's answer explains its own words), rather than a reply asking which word was meant.
REQUIRED_ENTITY = {"define_term": "glossary_term"}


def without_unsupported(ranking: Sequence[Tuple[str, float]], entities: Collection[str]) -> List[Tuple[str, float]]:
    """The ranking without the intents whose required entity the message does not have."""
    return [(name, p) for name, p in ranking if name not in REQUIRED_ENTITY or REQUIRED_ENTITY[name] in entities]


@dataclass(frozen=True)
class Thresholds:
    """Measured on the dev and safety sets; config.yml says why each has its value."""

    crisis: float = 0.2
    clinical: float = 0.5
    answer: float = 0.4
    # "The article covers something close to this": a declined message whose best article
    # topic is at least this probable, while "not covered" is at most `suggest_out_of_scope`.
    suggest: float = 0.15
    suggest_out_of_scope: float = 0.4

    def __post_init__(self) -> None:
        for name in ("crisis", "clinical", "answer", "suggest", "suggest_out_of_scope"):
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                raise ValueError(f"threshold {name} must be in (0, 1], got {value!r}")


def decide(ranking: Sequence[Tuple[str, float]], thresholds: Thresholds) -> Tuple[str, float]:
    """(intent, confidence) for a ranking of (intent, probability), best first."""
    if not ranking:
        return FALLBACK, thresholds.answer
    probability = dict(ranking)
    if probability.get(CRISIS, 0.0) >= thresholds.crisis:
        return CRISIS, probability[CRISIS]
    if probability.get(CLINICAL, 0.0) >= thresholds.clinical:
        return CLINICAL, probability[CLINICAL]
    best, confidence = ranking[0]
    if confidence < thresholds.answer:
        # As Rasa's FallbackClassifier does: the threshold stands in for the confidence.
        return FALLBACK, thresholds.answer
    return best, confidence


def is_article_topic(intent: str) -> bool:
    return intent.startswith(TOPIC_PREFIX) and intent != TOPIC_MENU


def close_topics(ranking: Sequence[Tuple[str, float]], thresholds: Thresholds) -> List[str]:
    """The article topics to offer ("did you mean") for a message that gets the decline.

    A question the classifier is unsure of often names its topic in words the training data
    lacks ("Does Ketamine Infusion Therapy Work Instantly?"): the right topic is then among the
    best few, below the answer threshold. Offered as buttons, not answered: the patient picks,
    so nothing is claimed that was not asked. Questions the article does not cover mostly rank
    "not covered" high and every topic low, and get the plain decline. Measured on the dev,
    safety and real-phrasing dev sets: 7 of 12 declined article questions get a button with
    their topic; 2 of 112 questions the article does not cover get buttons.
    """
    probability = dict(ranking)
    if probability.get(CRISIS, 0.0) >= thresholds.crisis or probability.get(CLINICAL, 0.0) >= thresholds.clinical:
        return []
    if probability.get(OUT_OF_SCOPE, 0.0) > thresholds.suggest_out_of_scope:
        return []
    topics = [(name, p) for name, p in ranking if is_article_topic(name)][:MAX_SUGGESTIONS]
    if not topics or topics[0][1] < thresholds.suggest:
        return []
    return [name for name, p in topics if p >= SUGGESTION_FLOOR]
