"""How good the estimates are: metrics, the two hold-out splits, and grid validation."""

from __future__ import annotations

import numpy as np

#: The paper's random split: 90 training / 18 test months with seed 2021 (1/6 held out).
RANDOM_SPLIT_SEED = 2021
RANDOM_TEST_SHARE = 18 / 108
#: The stricter test: the last 12 labelled values, in time order.
TIME_HOLDOUT = 12


def r2(observed, predicted) -> float:
    """Coefficient of determination, 1 - SS_res / SS_tot (not the squared correlation)."""
    y, p = np.asarray(observed, dtype=np.float64), np.asarray(predicted, dtype=np.float64)
    ss_tot = ((y - y.mean()) ** 2).sum()
    return float(1.0 - ((y - p) ** 2).sum() / ss_tot) if ss_tot > 0 else float("nan")


def rmse(observed, predicted) -> float:
    y, p = np.asarray(observed, dtype=np.float64), np.asarray(predicted, dtype=np.float64)
    return float(np.sqrt(((y - p) ** 2).mean()))


def mape(observed, predicted) -> float:
    """Mean absolute percentage error, in percent."""
    y, p = np.asarray(observed, dtype=np.float64), np.asarray(predicted, dtype=np.float64)
    return float(np.mean(np.abs((y - p) / y)) * 100.0)


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
