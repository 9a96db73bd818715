"""Reading level of the article answers, by layer (Flesch-Kincaid grade, textstat 0.7.3).

textstat 0.7.3 counts syllables with pyphen, offline; later versions fetch NLTK's cmudict
from the internet when first used. The citation "(From the article: ...)" is left out: it
names the article's sections in the article's words and is not part of the explanation.
"""

from __future__ import annotations

import re
import warnings
from statistics import mean
from typing import Dict, List, Mapping, Tuple

# Health-literacy guidance asks for patient material at about a sixth- to eighth-grade
# level; the article's own wording (the detail layer and the glossary) may stay harder, but
# not beyond a twelfth grade.
GRADE_LIMITS = {"plain": 8.0, "detail": 12.0, "glossary": 12.0}
CITATION = re.compile(r"\(From the article: .*\)\s*$")


def answer_text(text: str) -> str:
    return CITATION.sub("", " ".join(text.split())).strip()


def grade(text: str) -> float:
    with warnings.catch_warnings():  # textstat 0.7.3 imports the deprecated pkg_resources
        warnings.simplefilter("ignore", DeprecationWarning)
        import textstat

    return float(textstat.flesch_kincaid_grade(answer_text(text)))


def grades_by_layer(domain_responses: Mapping[str, list]) -> Dict[str, List[Tuple[str, float]]]:
    """{layer: [(answer, grade), ...]} for every article answer; the detail variations are
    named "utter_article_detail:<topic>"."""
    layers: Dict[str, List[Tuple[str, float]]] = {}
    for name, variations in domain_responses.items():
        for v in variations or []:
            layer = (v.get("metadata") or {}).get("layer")
            if not layer:
                continue
            key = f"{name}:{v['condition'][0]['value']}" if v.get("condition") else name
            layers.setdefault(layer, []).append((key, grade(v["text"])))
    return layers


def format_grades(layers: Mapping[str, List[Tuple[str, float]]]) -> str:
    lines = ["Reading level (Flesch-Kincaid grade) of the article answers:"]
    for layer, grades in layers.items():
        values = [g for _, g in grades]
        hardest = max(grades, key=lambda item: item[1])
        lines.append(
            f"  {layer:7s} {len(values):3d} answers  mean {mean(values):4.1f}  max {max(values):4.1f} "
            f"({hardest[0]})  limit {GRADE_LIMITS.get(layer, float('nan')):.0f}"
        )
    return "\n".join(lines)
