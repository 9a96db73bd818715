"""Fixtures the unit tests of the safety rules share: the rule file and a blank spaCy
pipeline, built once for the whole run."""

import pytest
import yaml

from bot.spacy_pipeline import make_pipeline


@pytest.fixture(scope="session")
def nlp():
    return make_pipeline()


@pytest.fixture(scope="session")
def pattern_file(root):
    return yaml.safe_load((root / "content" / "safety_patterns.yml").read_text())
