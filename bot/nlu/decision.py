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

    def __post_init__(self) -> None:
        for name in ("crisis", "clinical", "answer"):
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
