"""The intent classifier's model: tf-idf weighting and multinomial logistic regression.

Pure functions over sparse count features (the ones Rasa's CountVectorsFeaturizers produce).
Training uses scikit-learn; the trained model is a handful of arrays, saved with
`numpy.savez` and loaded without pickle, so a model file can hold data but never code.
Prediction is the same arithmetic scikit-learn does, in a few lines of numpy.

Why logistic regression: on our ~2,300 examples it trains in seconds, is deterministic (the
optimum of a convex problem, whatever the order of the data), so a small change to the data
moves few predictions, and its outputs are probabilities, so the thresholds in `decide` have a
meaning. It was chosen by measurement against DIET and others: see `python -m bot stability`
and the README's "Measuring" section.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class LinearModel:
    classes: Tuple[str, ...]
    blocks: Tuple[int, ...]  # width of each featurizer's block of columns, in order
    idf: np.ndarray  # (n_features,) inverse document frequency of each feature
    coef: np.ndarray  # (n_classes, n_features)
    intercept: np.ndarray  # (n_classes,)


def tfidf(counts: sp.spmatrix, idf: np.ndarray, blocks: Sequence[int]) -> sp.csr_matrix:
    """Sublinear tf (1 + log count) times idf, each featurizer's block scaled to unit length.

    Sublinear counts stop a word repeated in a long message from outweighing the rest. Unit
    blocks make a one-line question and a paragraph comparable, and give the word block as
    much say as the character block, which has three times as many columns and would
    otherwise drown the few words ("my", "for me") that make a question personal. The rows
    are then scaled to unit length as a whole.
    """
    x = sp.csr_matrix(counts, dtype=np.float64, copy=True)
    x.sum_duplicates()
    x.data = (1.0 + np.log(x.data)) * idf[x.indices]
    # Work on the non-zero entries directly: a message has a few hundred of them among tens of
    # thousands of columns, and this runs on every message the bot receives.
    row = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
    block = np.searchsorted(np.cumsum(blocks), x.indices, side="right")
    squares = np.zeros((x.shape[0], len(blocks)))
    np.add.at(squares, (row, block), x.data**2)
    block_norms = np.sqrt(squares)
    x.data /= block_norms[row, block]
    row_norms = np.sqrt((squares > 0).sum(axis=1))
    x.data /= row_norms[row]
    return x


def fit(
    counts: sp.spmatrix,
    labels: Sequence[str],
    blocks: Sequence[int],
    c: float = 100.0,
    max_iter: int = 3000,
    balanced: bool = False,
) -> LinearModel:
    """Trains on count features (one row per example, blocks side by side) and labels.

    balanced: weigh each label as if it had as many examples as any other, so that a label
    with few examples is not outvoted by a large one.
    """
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression

    if sum(blocks) != counts.shape[1]:
        raise ValueError(f"blocks {list(blocks)} do not add up to {counts.shape[1]} columns")
    idf = TfidfTransformer(sublinear_tf=True).fit(counts).idf_
    clf = LogisticRegression(C=c, max_iter=max_iter, solver="lbfgs", class_weight="balanced" if balanced else None)
    clf.fit(tfidf(counts, idf, blocks), list(labels))
    return LinearModel(
        tuple(str(c) for c in clf.classes_), tuple(int(b) for b in blocks), np.asarray(idf), clf.coef_, clf.intercept_
    )


def predict_proba(model: LinearModel, counts: sp.spmatrix) -> np.ndarray:
    """(n_messages, n_classes) probabilities, in the order of `model.classes`."""
    logits = np.asarray(tfidf(counts, model.idf, model.blocks) @ model.coef.T + model.intercept)
    if len(model.classes) == 2 and logits.shape[1] == 1:
        # scikit-learn keeps one row of weights for two classes: the logit of the second.
        logits = np.hstack([np.zeros_like(logits), logits])
    logits = logits - np.max(logits, axis=1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


def ranking(model: LinearModel, probabilities: np.ndarray) -> List[Tuple[str, float]]:
    """[(intent, probability), ...] best first, for one message."""
    order = np.argsort(-probabilities, kind="stable")
    return [(model.classes[i], float(probabilities[i])) for i in order]


def save(model: LinearModel, path: Path) -> None:
    np.savez(
        path,
        classes=np.array(model.classes, dtype=np.str_),
        blocks=np.array(model.blocks, dtype=np.int64),
        idf=model.idf,
        coef=model.coef,
        intercept=model.intercept,
    )


def load(path: Path) -> LinearModel:
    with np.load(path, allow_pickle=False) as data:
        arrays: Dict[str, np.ndarray] = {key: data[key] for key in data.files}
    return LinearModel(
        tuple(str(c) for c in arrays["classes"]),
        tuple(int(b) for b in arrays["blocks"]),
        arrays["idf"],
        arrays["coef"],
        arrays["intercept"],
    )
