"""The plain answers read at grade 8 or below and the article's wording at grade 12 or below
(Flesch-Kincaid, computed by textstat: tools/readability.py)."""

import pytest

from tools.readability import GRADE_LIMITS, answer_text, grade, grades_by_layer


@pytest.fixture(scope="module")
def layers(domain):
    return grades_by_layer(domain["responses"])


@pytest.mark.parametrize("layer", sorted(GRADE_LIMITS))
def test_every_answer_is_within_its_layers_reading_grade(layers, layer):
    too_hard = [(name, round(g, 1)) for name, g in layers[layer] if g > GRADE_LIMITS[layer]]
    assert layers[layer] and not too_hard


def test_the_plain_layer_is_easier_than_the_articles_wording(layers):
    mean = {layer: sum(g for _, g in grades) / len(grades) for layer, grades in layers.items()}
    assert mean["plain"] < mean["detail"]


def test_the_grade_sees_hard_text_and_ignores_the_citation():
    hard = (
        "Brain-Derived Neurotrophic Factor is a protein crucial for neuronal survival and growth, "
        "supporting neuroplasticity and the formation of new neural connections."
    )
    assert grade(hard) > GRADE_LIMITS["detail"]
    assert grade("Ketamine is a drug. It acts on the brain.") <= GRADE_LIMITS["plain"]
    cited = 'It acts on the brain. (From the article: "Ketamine as a Rapid-Acting Antidepressant".)'
    assert answer_text(cited) == "It acts on the brain."
