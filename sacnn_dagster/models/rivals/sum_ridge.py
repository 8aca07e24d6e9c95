"""Sum-ridge, this project's own model: ridge regression on the city's summed factory features, fitted
sum-aware."""

from __future__ import annotations

import math
import time

import numpy as np

from sacnn_dagster.models.base import JsonStateModel, Prediction, check_labels, residual_half_width
from sacnn_dagster.models.dataset import Labels, MonthlyDataset
from sacnn_dagster.models.inputs import model_inputs


def _loo_ridge(design: np.ndarray, y: np.ndarray, n: np.ndarray, alphas) -> tuple[float, float, np.ndarray, np.ndarray]:
    """Ridge of the labels `y` on `design` weighted by 1 / `n` (its months), the last column (the intercept)
    not penalized, for each penalty of `alphas`: the one whose exact leave-one-label-out residuals per month
    (hat-matrix formula) have the smallest mean square. Returns that mean square, the penalty, the
    coefficients and the residuals."""
    w = 1.0 / n
    sw = np.sqrt(w)
    xw, yw = design * sw[:, None], y * sw
    p = design.shape[1]
    best = None
    for alpha in alphas:
        pen = np.full(p, alpha)
        pen[-1] = 0.0
        inv = np.linalg.pinv(xw.T @ xw + np.diag(pen))
        coef = inv @ xw.T @ yw
        hat = np.einsum("ij,jk,ik->i", xw, inv, xw)
        loo_w = (yw - xw @ coef) / np.clip(1.0 - hat, 1e-6, None)
        loo = loo_w / sw / np.sqrt(n)  # per-month residual of each label left out
        score = float(np.mean(loo**2))
        if best is None or score < best[0]:
            best = (score, alpha, coef, loo)
    return best


#: Ridge penalties tried (on standardized aggregates), chosen by exact leave-one-label-out error.
RIDGE_ALPHAS = tuple(10.0 ** np.arange(-4, 3.01, 0.5))


class SumRidgeModel(JsonStateModel):
    """This project's own model: ridge regression of the month's GVIO on its factory features summed over
    the city (each of the 20 columns, gap-filled) and its urban/rural statistics.

    Additive like the baseline, so a combined label is exactly the sum of its months' predictions: the
    design row of a label is the sum of its months' rows (with n months as the intercept's column), fitted
    by least squares weighted by 1 / n. Columns standardized; intercept not penalized; the penalty is
    chosen from `alphas` by the exact leave-one-label-out error of weighted ridge (hat-matrix formula).

    Interval: estimate +- t(0.95, n-1) * s * sqrt(1 + 1/n), s the root mean square of the
    leave-one-label-out residuals per month (a combined label's divided by sqrt(months)).
    """

    name = "sum_ridge"

    def __init__(self, *, alphas: tuple[float, ...] = RIDGE_ALPHAS, gapfill: bool = True):
        self.config = {"alphas": [float(a) for a in alphas], "gapfill": gapfill}
        self.state: dict = {}

    def _aggregates(self, data: MonthlyDataset) -> np.ndarray:
        tables, scalars, _ = model_inputs(data, self.config["gapfill"], self.state.get("n_factories"))
        return np.concatenate([tables.astype(np.float64).sum(axis=1), scalars], axis=1)

    def fit(self, data: MonthlyDataset, labels: Labels) -> dict:
        check_labels(data, labels)
        start = time.perf_counter()
        self.state = {"n_factories": int(data.tables.shape[1])}
        a = self._aggregates(data)
        n = labels.months_per_label.astype(np.float64)
        per_month = (labels.membership @ a) / n[:, None]  # label rows, in per-month units
        mean, std = per_month.mean(axis=0), per_month.std(axis=0)
        keep = std > 0
        std = np.where(keep, std, 1.0)
        # label design: sum over its months of the standardized rows (+ n for the intercept)
        z = ((a - mean) / std)[:, keep]
        design = np.column_stack([labels.membership @ z, n])
        score, alpha, coef, loo = _loo_ridge(design, labels.values, n, self.config["alphas"])
        half = residual_half_width(loo)
        self.state.update(
            mean=mean.tolist(),
            std=std.tolist(),
            keep=keep.tolist(),
            coef=coef.tolist(),
            alpha=alpha,
            half_width=half,
        )
        return {
            "model": self.name,
            "seconds": round(time.perf_counter() - start, 3),
            "n_labels": len(labels),
            "alpha": alpha,
            "loo_rmse_per_month": math.sqrt(score),
            "interval_half_width": half,
            **self.config,
        }

    def predict(self, data: MonthlyDataset) -> Prediction:
        if not self.state.get("coef"):
            raise RuntimeError("the model is not trained")
        st = self.state
        a = self._aggregates(data)
        keep = np.asarray(st["keep"], dtype=bool)
        z = ((a - np.asarray(st["mean"])) / np.asarray(st["std"]))[:, keep]
        est = np.column_stack([z, np.ones(len(z))]) @ np.asarray(st["coef"])
        return Prediction(est, est - st["half_width"], est + st["half_width"])
