"""The intent classifier's model: tf-idf weighting and multinomial logistic regression.

Pure functions over sparse count features (the ones bot/nlu/featurizer.py produces).
The model is scikit-learn's multinomial LogisticRegression, fitted with scipy's Newton-CG
(see `fit` for why); the trained model is a handful of arrays, saved with `numpy.savez` and
loaded without pickle, so a model file can hold data but never code. Prediction is the same
arithmetic scikit-learn does, in a few lines of numpy.

Why logistic regression: on our ~5,000 examples it trains in seconds, is deterministic (the
optimum of a convex problem, whatever the order of the data), so a small change to the data
moves few predictions, and its outputs are probabilities, so the thresholds in `decide` have a
meaning. It was chosen by measurement against DIET and others: see `python -m bot stability`
and the README's "Measuring" section.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
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

    @cached_property
    def weights_by_feature(self) -> np.ndarray:
        """coef.T, laid out row by row. A sparse matrix times a dense one needs the dense one in
        C order; given `coef.T` (a column-ordered view), scipy copies all the weights, 11 MB, on
        every message, which was most of the time a message spent in the classifier."""
        return np.ascontiguousarray(self.coef.T)  # no copy for a model from `by_feature`


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


# Newton-CG stops when a step changes the weights by less than this, on average relative to
# their size. On the 7,634 training examples of 2026-12, 1e-4 took 15 steps and 17 s where
# 1e-5 took 21 steps and 28 s, and moved no probability of a training example by more than
# 0.006 (no top intent changed): far below what any threshold in `decide` can tell apart.
XTOL = 1e-4


def fit(
    counts: sp.spmatrix,
    labels: Sequence[str],
    blocks: Sequence[int],
    c: float = 100.0,
    max_iter: int = 3000,
    balanced: bool = False,
    xtol: float = XTOL,
) -> LinearModel:
    """Trains on count features (one row per example, blocks side by side) and labels.

    The model is scikit-learn's multinomial LogisticRegression (L2 penalty 1/c on the weights,
    none on the intercepts), for two classes as well as many. It is fitted here by scipy's
    Newton-CG on that same objective rather than by LogisticRegression itself: scikit-learn
    1.1 spends most of its time multiplying by the transpose of a sparse matrix the slow way,
    and its L-BFGS most of the rest on bookkeeping over the 1.4 million weights. This fit
    reaches the same optimum in about a quarter of the time (tests/unit compares the two).

    balanced: weigh each label as if it had as many examples as any other, so that a label
    with few examples is not outvoted by a large one.
    xtol: when Newton-CG stops (see XTOL).
    """
    from scipy.optimize import minimize
    from sklearn.feature_extraction.text import TfidfTransformer

    if sum(blocks) != counts.shape[1]:
        raise ValueError(f"blocks {list(blocks)} do not add up to {counts.shape[1]} columns")
    idf = TfidfTransformer(sublinear_tf=True).fit(counts).idf_
    classes, y = np.unique(np.asarray(labels, dtype=np.str_), return_inverse=True)
    if len(classes) < 2:
        raise ValueError("the classifier needs examples of at least two labels")
    weights = None
    if balanced:
        # scikit-learn's class_weight="balanced": n_examples / (n_classes * n_of_this_class).
        weights = (len(y) / (len(classes) * np.bincount(y)))[y]
    threads = _threads()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        objective = _Objective(tfidf(counts, idf, blocks), y, len(classes), 1.0 / c, weights, pool, threads)
        result = minimize(
            objective.loss_and_gradient,
            np.zeros(objective.size),
            jac=True,
            hessp=objective.hessian_product,
            method="Newton-CG",
            options={"maxiter": max_iter, "xtol": xtol},
        )
    by_feature_weights, intercept = objective.split(result.x)
    return LinearModel(
        tuple(str(k) for k in classes),
        tuple(int(b) for b in blocks),
        np.asarray(idf),
        by_feature_weights.T,  # (n_classes, n_features), a view of weights stored feature by feature
        intercept.copy(),
    )


def by_feature(coef: np.ndarray) -> np.ndarray:
    """The (n_classes, n_features) weights stored feature by feature, so that their transpose,
    which prediction multiplies by, is already in C order: one copy of the weights in memory
    (11 MB) instead of two."""
    return np.ascontiguousarray(coef.T).T


def _threads() -> int:
    """Threads for the fit's sparse products, one per core and at most 4: scipy releases the GIL
    in them, so on 2 cores two threads took the fit on 6,864 examples from 24 s to 17 s."""
    return max(1, min(4, os.cpu_count() or 1))


class _RowBlocks:
    """A CSR matrix cut into bands of rows, multiplied by a dense matrix one band per thread.

    Each row of the product depends on that row of the matrix alone, so the result is the
    same, to the last bit, as the product in one piece."""

    def __init__(self, matrix: sp.csr_matrix, pool: ThreadPoolExecutor, bands: int) -> None:
        # Bands of equal work, not of equal rows: the columns of character n-grams hold most of
        # the non-zero entries, so in x.T the last rows are far denser than the first.
        edges = np.searchsorted(matrix.indptr, np.linspace(0, matrix.nnz, max(1, bands) + 1)).clip(0, matrix.shape[0])
        edges[0], edges[-1] = 0, matrix.shape[0]
        self.bands = [(int(a), int(b), matrix[a:b]) for a, b in zip(edges[:-1], edges[1:]) if b > a]
        self.shape = matrix.shape
        self.pool = pool

    def matmul_into(self, dense: np.ndarray, out: np.ndarray) -> np.ndarray:
        def band(item: Tuple[int, int, sp.csr_matrix]) -> None:
            start, stop, rows = item
            out[start:stop] = rows @ dense

        list(self.pool.map(band, self.bands))
        return out


class _Objective:
    """The multinomial logistic loss plus (alpha / 2) * |weights|^2, summed over the examples,
    with its gradient and its Hessian times a vector. The parameters are one flat vector: the
    (n_features, n_classes) weights row by row, then the n_classes intercepts.

    Feature by feature, the weights are already the C-ordered dense matrix that scipy's
    sparse products need, and the gradient's `x.T @ residual` comes out in the same layout:
    no step copies the 1.8 million weights (class by class, the copies took a fifth of the
    fit). Newton-CG's steps do not depend on the order of the parameters.
    """

    def __init__(
        self,
        x: sp.csr_matrix,
        y: np.ndarray,
        n_classes: int,
        alpha: float,
        weights: np.ndarray | None,
        pool: ThreadPoolExecutor,
        bands: int,
    ) -> None:
        self.n_features = x.shape[1]
        self.x = _RowBlocks(x, pool, bands)
        # x.T as CSR: the gradient's product with it runs ~8 times faster than with x.T as CSC,
        # which is what `dense @ x` uses.
        self.xt = _RowBlocks(x.T.tocsr(), pool, bands)
        self.rows = np.arange(x.shape[0])
        self.y = y
        self.k = n_classes
        self.alpha = alpha
        self.weights = np.ones(x.shape[0]) if weights is None else weights
        self.size = n_classes * (x.shape[1] + 1)
        self._at: np.ndarray | None = None  # the parameters the probabilities below belong to
        self._p = np.empty(0)

    def split(self, theta: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """(n_features, n_classes) weights and the intercepts, as views of `theta`."""
        d = self.n_features
        return theta[: d * self.k].reshape(d, self.k), theta[d * self.k :]

    def _logits(self, theta: np.ndarray) -> np.ndarray:
        w, intercept = self.split(theta)
        return self.x.matmul_into(w, np.empty((self.x.shape[0], self.k))) + intercept

    def loss_and_gradient(self, theta: np.ndarray) -> Tuple[float, np.ndarray]:
        from scipy.special import logsumexp

        z = self._logits(theta)
        log_norm = logsumexp(z, axis=1)
        p = np.exp(z - log_norm[:, None])
        self._at, self._p = theta.copy(), p
        w, _ = self.split(theta)
        weights_flat = theta[: w.size]
        penalty = 0.5 * self.alpha * float(np.dot(weights_flat, weights_flat))
        loss = float(self.weights @ (log_norm - z[self.rows, self.y])) + penalty
        residual = p.copy()
        residual[self.rows, self.y] -= 1.0
        residual *= self.weights[:, None]
        return loss, self._join(residual, w)

    def hessian_product(self, theta: np.ndarray, v: np.ndarray) -> np.ndarray:
        if self._at is None or not np.array_equal(theta, self._at):
            self.loss_and_gradient(theta)
        p = self._p
        zv = self._logits(v)
        r = p * (zv - np.sum(p * zv, axis=1, keepdims=True)) * self.weights[:, None]
        return self._join(r, self.split(v)[0])

    def _join(self, per_example: np.ndarray, w: np.ndarray) -> np.ndarray:
        """x.T @ per_example + alpha * w, and the intercepts' part, as one flat vector."""
        out = np.empty(self.size)
        weights_part, intercept_part = self.split(out)
        self.xt.matmul_into(per_example, weights_part)
        weights_part += self.alpha * w
        intercept_part[...] = per_example.sum(axis=0)
        return out


def predict_proba(model: LinearModel, counts: sp.spmatrix) -> np.ndarray:
    """(n_messages, n_classes) probabilities, in the order of `model.classes`."""
    logits = np.asarray(tfidf(counts, model.idf, model.blocks) @ model.weights_by_feature + model.intercept)
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
        by_feature(arrays["coef"]),
        arrays["intercept"],
    )
