"""Builds the spaCy pipeline that the featurizer (bot/nlu/featurizer.py) and the rule guard load.

No trained spaCy model can be downloaded here, so the pipeline is a blank English tokenizer
plus a lookup lemmatizer whose tables come from the `spacy-lookups-data` package. The tables
are saved inside the pipeline folder: the server (the featurizer and the rule guard) loads
that folder, and the package is needed only to build it, or by tools and tests that run
without a built pipeline.
"""

from __future__ import annotations

import shutil
from functools import lru_cache
from pathlib import Path

# Rasa fingerprints the spaCy model by its path, not its contents: change the name whenever
# the way the pipeline is built changes, or training will not notice and reuse old features.
PIPELINE_NAME = "en_blank_lookup_v1"
DEFAULT_DIR = Path("var") / "spacy" / PIPELINE_NAME


def make_pipeline():
    """Returns an initialised blank English pipeline with lookup lemmas."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


def build(out_dir: Path = DEFAULT_DIR) -> Path:
    """Writes the pipeline to `out_dir` (atomically: a half-written folder never remains)."""
    out_dir = Path(out_dir)
    if (out_dir / "meta.json").exists():
        return out_dir
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    make_pipeline().to_disk(tmp)
    tmp.rename(out_dir)
    return out_dir


def load_pipeline(directory: Path = DEFAULT_DIR):
    """The built pipeline (what the server uses), or a fresh one where none is built yet.

    Loaded once per process and folder, then shared: the featurizer and the rule guard both
    need it, and each load spends about a second re-adding the tokenizer's 8,000 special cases,
    a second of every server start. Both only read from it (tokens and lemmas).
    """
    return _load(str(Path(directory).resolve()))


@lru_cache(maxsize=None)
def _load(directory: str):
    import spacy

    if (Path(directory) / "meta.json").exists():
        return spacy.load(directory)
    return make_pipeline()
