"""The baseline: GVIO on the month's total night light, by weighted least squares."""

from __future__ import annotations

import math
import time

import numpy as np

from sacnn_dagster.models.base import INTERVAL_COVERAGE, JsonStateModel, Prediction, check_labels, t_quantile
from sacnn_dagster.models.dataset import Labels, MonthlyDataset, total_ntl
from sacnn_dagster.models.inputs import model_inputs


def _wls_with_interval(design: np.ndarray, y: np.ndarray, weights: np.ndarray) -> dict:
    """Weighted least squares (weights = 1 / error variance up to a factor): coefficients, residual
    scale s, (X'WX)^-1 and the residual degrees of freedom."""
    sw = np.sqrt(weights)
    xw, yw = design * sw[:, None], y * sw
    coef, *_ = np.linalg.lstsq(xw, yw, rcond=None)
    dof = max(len(y) - design.shape[1], 0)
    resid = yw - xw @ coef
    s = float(np.sqrt(resid @ resid / dof)) if dof > 0 else float("nan")
    cov = np.linalg.pinv(xw.T @ xw)
    return {"coef": coef.tolist(), "s": s, "xtx_inv": cov.tolist(), "dof": dof}


def _interval(x0: np.ndarray, fit: dict) -> tuple[np.ndarray, np.ndarray]:
    coef = np.asarray(fit["coef"])
    est = x0 @ coef
    if fit["dof"] < 1 or not math.isfinite(fit["s"]):
        return est, np.full(len(est), np.inf)
    lev = np.einsum("ij,jk,ik->i", x0, np.asarray(fit["xtx_inv"]), x0)
    half = t_quantile(0.5 + INTERVAL_COVERAGE / 2, fit["dof"]) * fit["s"] * np.sqrt(1 + lev)
    return est, half


class LinearNtlModel(JsonStateModel):
    """The baseline: GVIO(month) = a * total_ntl(month) + b, the month's urban + rural observed light.

    Additive, so a label covering n months is exactly a * (sum of their total_ntl) + b * n: least squares
    on the labels as published, combined ones included. Weighted by 1 / n (a sum of n months' independent
    errors has n times the variance). Interval: the OLS prediction interval for one month,
    a*x + b +- t(0.95, L-2) * s * sqrt(1 + x0'(X'WX)^-1 x0). The raw observed light is used (no cloud
    gap-filling) unless `gapfill=True`: it is the naive baseline.
    """

    name = "linear"

    def __init__(self, *, gapfill: bool = False):
        self.config = {"gapfill": gapfill}
        self.state: dict = {}

    def _x(self, data: MonthlyDataset) -> np.ndarray:
        if self.config["gapfill"]:
            # the same fill as every model: a cloudy month's statistics move with its own factory light
            total = total_ntl(model_inputs(data, True)[1])
        else:
            total = np.asarray(data.total_ntl, dtype=np.float64)
        return np.column_stack([total, np.ones(len(total))])

    def fit(self, data: MonthlyDataset, labels: Labels) -> dict:
        check_labels(data, labels)
        start = time.perf_counter()
        design = labels.membership @ self._x(data)
        self.state = _wls_with_interval(design, labels.values, 1.0 / labels.months_per_label)
        return {
            "model": self.name,
            "seconds": round(time.perf_counter() - start, 4),
            "n_labels": len(labels),
            "slope": self.state["coef"][0],
            "intercept": self.state["coef"][1],
            "residual_sd": self.state["s"],
            **self.config,
        }

    def predict(self, data: MonthlyDataset) -> Prediction:
        if not self.state:
            raise RuntimeError("the model is not trained")
        est, half = _interval(self._x(data), self.state)
        return Prediction(est, est - half, est + half)
