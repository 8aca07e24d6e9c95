"""Conformal intervals from held-out relative errors: the interval a model's own residuals cannot give.

A model's in-sample residuals understate its error on months after the last published value. The
residuals of labels it never saw (the rolling-origin folds: trained up to a year, predicting the next)
are exchangeable with its error on the unpublished months, closely enough, so their (n+1)-corrected
quantile gives an interval that covers at its nominal rate (split conformal prediction).

The score is the relative error |observed / predicted - 1|: free of scale, so years of growth pool, and a
combined January-February label scores its sum against the sum of its months' predictions (the errors of
neighbouring months move together, so the pair's relative error stands for a month's). The interval of
a month is then estimate x (1 -/+ q). Our own few lines rather than MAPIE: MAPIE's conformal regressors
calibrate one sample per row of X, while a label here may cover two months and the estimate is a sum.
"""

from __future__ import annotations

import math

import numpy as np

from sacnn_dagster.models.base import INTERVAL_COVERAGE, Prediction


def relative_errors(observed, predicted) -> np.ndarray:
    """|observed / predicted - 1| per held-out label (infinite where the prediction is not positive)."""
    y, p = np.asarray(observed, dtype=np.float64), np.asarray(predicted, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.abs(y / p - 1.0)
    return np.where(p > 0, out, np.inf)


def conformal_quantile(scores, coverage: float = INTERVAL_COVERAGE) -> float:
    """The ceil((n+1) x coverage)-th smallest of n scores: a new exchangeable score falls at or below it
    with probability >= coverage. With too few scores for that rank (n < coverage / (1 - coverage)),
    the largest: the guarantee then no longer holds, the interval is as wide as the data allow."""
    s = np.sort(np.asarray(scores, dtype=np.float64))
    if s.size == 0:
        return math.nan
    k = math.ceil((s.size + 1) * coverage)
    return float(s[min(k, s.size) - 1])


def conformal_interval(estimate, half_width: float) -> Prediction:
    """estimate -/+ |estimate| x half_width, the relative conformal interval around `estimate` (ordered
    even for a negative estimate, which a poor model may give)."""
    e = np.asarray(estimate, dtype=np.float64)
    return Prediction(e, e - np.abs(e) * half_width, e + np.abs(e) * half_width)
