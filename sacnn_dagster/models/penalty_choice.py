"""The penalty of a sum-aware regression, chosen by blocked cross-validation on the labels.

Why blocked and not leave-one-out: with two years of labels a sum model may have more columns than labels,
and leaving out one month of a smooth series is an easy interpolation, so leave-one-out chose almost no
penalty and the next year blew up (fold R² -19 to -1400 on the accuracy bench). Contiguous blocks of
labels, each predicted from the others, are closer to predicting a year that was never published.
scikit-learn's GridSearchCV would need an estimator wrapping the bounded solver and the 1 / months weights;
this loop is shorter than that wrapper.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

#: Contiguous blocks of labels for choosing the penalty.
N_FOLDS = 5

#: solve(design, values, sqrt weights, penalty) -> coefficients
Solver = Callable[[np.ndarray, np.ndarray, np.ndarray, float], np.ndarray]


def choose_penalty(
    design: np.ndarray, y: np.ndarray, n: np.ndarray, alphas, solve: Solver
) -> tuple[float, float, np.ndarray]:
    """The penalty of `alphas` whose residuals per month (a label's divided by sqrt of its `n` months), each
    block of labels predicted from the others, have the smallest mean square: (that mean square, the
    penalty, the residuals). Labels weighted by 1 / months in every fit."""
    sw = np.sqrt(1.0 / n)
    folds = np.array_split(np.arange(len(y)), min(N_FOLDS, len(y)))
    best = None
    for alpha in alphas:
        resid = np.empty(len(y))
        for test in folds:
            train = np.setdiff1d(np.arange(len(y)), test)
            coef = solve(design[train], y[train], sw[train], alpha)
            resid[test] = (y[test] - design[test] @ coef) / np.sqrt(n[test])
        score = float(np.mean(resid**2))
        if best is None or score < best[0]:
            best = (score, alpha, resid)
    return best
