"""How good the estimates are: the metrics (scikit-learn's, undefined cases as NaN) and the two hold-out splits."""

from __future__ import annotations

import math

import numpy as np
from sklearn.metrics import mean_absolute_percentage_error, r2_score, root_mean_squared_error

#: The paper's random split: 90 training / 18 test months with seed 2021 (1/6 held out).
RANDOM_SPLIT_SEED = 2021
RANDOM_TEST_SHARE = 18 / 108
#: The stricter test: the last 12 labelled values, in time order.
TIME_HOLDOUT = 12


def _finite(observed, predicted) -> tuple[np.ndarray, np.ndarray] | None:
    """Both as float64 arrays; None when there is no value or a value is NaN or infinite: scikit-learn
    raises there, a score here is NaN (and the R² check fails on it)."""
    y, p = np.asarray(observed, dtype=np.float64), np.asarray(predicted, dtype=np.float64)
    return (y, p) if y.size and np.isfinite(y).all() and np.isfinite(p).all() else None


def r2(observed, predicted) -> float:
    """Coefficient of determination, 1 - SS_res / SS_tot (not the squared correlation). NaN when the
    observations do not vary (one of them, or all equal), where scikit-learn would say 1 or 0."""
    pair = _finite(observed, predicted)
    return math.nan if pair is None or np.ptp(pair[0]) == 0 else r2_score(*pair)


def rmse(observed, predicted) -> float:
    pair = _finite(observed, predicted)
    return math.nan if pair is None else root_mean_squared_error(*pair)


def mape(observed, predicted) -> float:
    """Mean absolute percentage error, in percent. Infinite when an observation is 0, where scikit-learn
    would divide by the machine epsilon."""
    pair = _finite(observed, predicted)
    if pair is None:
        return math.nan
    return mean_absolute_percentage_error(*pair) * 100.0 if pair[0].all() else math.inf


def metrics(observed, predicted) -> dict[str, float]:
    return {"r2": r2(observed, predicted), "rmse": rmse(observed, predicted), "mape": mape(observed, predicted)}


def random_split(n_labels: int, seed: int = RANDOM_SPLIT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) label indices: a seeded random 1/6 held out, as the paper's 90/18."""
    n_test = max(1, round(n_labels * RANDOM_TEST_SHARE))
    order = np.random.default_rng(seed).permutation(n_labels)
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def time_split(first_months: list[str], holdout: int = TIME_HOLDOUT) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) label indices: the last `holdout` labels in time order held out."""
    order = np.argsort(np.asarray(first_months), kind="stable")
    return np.sort(order[:-holdout]), np.sort(order[-holdout:])
