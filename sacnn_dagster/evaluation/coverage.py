"""How often the conformal intervals hold their promise, without calibrating on what they are judged on:
each rolling-origin fold's monthly predictions get the half width calibrated on the *other* folds'
held-out labels, and are judged against the true monthly totals (a generated region's
`validation/gvio_monthly_true.csv`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sacnn_dagster.models.base import INTERVAL_COVERAGE
from sacnn_dagster.models.conformal import conformal_quantile, relative_errors


def leave_one_fold_out_coverage(
    predictions: pd.DataFrame, labels: pd.DataFrame, truth: pd.Series, coverage: float = INTERVAL_COVERAGE
) -> pd.DataFrame:
    """Per candidate: the share of test-year months whose true total lies in estimate -/+ |estimate| x q,
    q from the other folds' labels (`predictions` and `labels` as gvio_model stores them, the ensemble
    included; `truth` indexed by month). Columns: model, months, covered, coverage, mean_half_width."""
    rows = []
    for model, mine in predictions.groupby("model", sort=False):
        theirs = labels[labels["model"] == model]
        covered, widths, n = 0, [], 0
        for year, fold in mine.groupby("fold_year"):
            others = theirs[theirs["fold_year"] != year]
            if others.empty:
                continue
            q = conformal_quantile(relative_errors(others["observed"], others["predicted"]), coverage)
            known = fold[fold["month"].isin(truth.index)]
            true = truth.loc[known["month"]].to_numpy()
            est = known["estimate"].to_numpy()
            covered += int(np.sum(np.abs(true - est) <= np.abs(est) * q))
            widths.append(q)
            n += len(known)
        if n:
            rows.append(
                {
                    "model": model,
                    "months": n,
                    "covered": covered,
                    "coverage": covered / n,
                    "mean_half_width": float(np.mean(widths)),
                }
            )
    return pd.DataFrame(rows)
