"""Factory-sum: the month's GVIO as the sum of each factory's output, a shared monotone function of the
factory's own light, plus the city's urban/rural statistics; trained on the city totals alone."""

from __future__ import annotations

import math
import time

import numpy as np
from scipy.optimize import lsq_linear

from sacnn_dagster.models.base import JsonStateModel, Prediction, check_labels, residual_half_width
from sacnn_dagster.models.chained_sums import chained_sums
from sacnn_dagster.models.dataset import Labels, MonthlyDataset
from sacnn_dagster.models.factory_output import FactoryOutputModel
from sacnn_dagster.models.inputs import column_spread, listed_factories, model_inputs
from sacnn_dagster.models.penalty_choice import choose_penalty

#: The factory's light that its output is read from: at its pixel, on industrial land in its buffer, in
#: its whole buffer (FEATURE_COLUMNS names).
LIGHT_COLUMNS = ("ntl_factory", "lu_301_ntl_sum", "ntl_buffer_sum")
#: Powers of each (scaled) light column: with non-negative weights their sum is a monotone curve that can
#: bend either way (sub-linear light as output^0.6, saturating sensors) without knowing which.
POWERS = (0.5, 1.0, 2.0)
#: Penalties tried, on columns scaled to unit spread; chosen by blocked cross-validation.
ALPHAS = (1e-3, 1e-2, 1e-1, 1.0, 10.0)


def _basis(tables: np.ndarray, scale: np.ndarray, columns: list[int]):
    """The per-factory basis, one (M, R) array at a time (never (M, R, K) at once: 20,000 factories):
    each light column scaled and raised to each power, then presence (any light in the buffer), so a
    factory that emits no light of its own still counts."""
    for j, s in zip(columns, scale, strict=True):
        x = np.clip(tables[:, :, j].astype(np.float64), 0.0, None) / s
        for p in POWERS:
            yield x**p
    yield (tables[:, :, columns[-1]] > 0).astype(np.float64)


def _solve(design: np.ndarray, y: np.ndarray, sw: np.ndarray, n_nonneg: int, alpha: float) -> np.ndarray:
    """Weighted ridge with the first `n_nonneg` coefficients >= 0, by bounded least squares on the
    augmented system."""
    p = design.shape[1]
    pen = np.full(p, math.sqrt(alpha))
    a = np.vstack([design * sw[:, None], np.diag(pen)])
    b = np.concatenate([y * sw, np.zeros(p)])
    lower = np.full(p, -np.inf)
    lower[:n_nonneg] = 0.0
    return lsq_linear(a, b, bounds=(lower, np.full(p, np.inf)), method="bvls").x


class FactorySumModel(JsonStateModel, FactoryOutputModel):
    """Each factory's monthly output is one shared curve of its own light (weights >= 0 on powers of the
    light at its pixel, on industrial land and in its buffer, plus a constant for being there); the
    month's total is the sum over factories, plus a linear term in the (centred) urban/rural statistics,
    and no intercept. Every term is linear in the weights, so a label covering several months (the combined
    January-February release) is matched by the sum of its months exactly, as in sum-ridge: fitted by
    bounded least squares weighted by 1 / months, columns scaled, all penalized, the penalty chosen by contiguous
    5-fold cross-validation. Features gap-filled (`models.gapfill`).

    Per factory: its curve's value, as a share of the month's factory sum, times the month's estimate
    (so the factories add up to the city total, the statistics' part spread in proportion).

    Interval: estimate +- t(0.95, n-1) * s * sqrt(1 + 1/n), s the root mean square of the cross-validated
    residuals per month.
    """

    name = "factory_sum"

    def __init__(self, *, alphas: tuple[float, ...] = ALPHAS, gapfill: bool = True):
        self.config = {"alphas": [float(a) for a in alphas], "gapfill": gapfill}
        self.state: dict = {}

    def _inputs(self, data: MonthlyDataset) -> tuple[np.ndarray, np.ndarray]:
        tables, scalars, _ = model_inputs(data, self.config["gapfill"], self.state.get("n_factories"))
        return tables, scalars

    def _columns(self, data: MonthlyDataset) -> list[int]:
        return [list(data.feature_names).index(c) for c in LIGHT_COLUMNS]

    def _factory_sums(self, data: MonthlyDataset, tables: np.ndarray) -> np.ndarray:
        """(M, K) the factory basis summed over factories, chained over POI snapshots (`chained_sums`)."""
        basis = _basis(tables, np.asarray(self.state["scale"]), self._columns(data))
        listed = listed_factories(data, self.state["n_factories"])
        return np.column_stack([chained_sums(b[:, :, None], listed)[:, 0] for b in basis])

    def fit(self, data: MonthlyDataset, labels: Labels) -> dict:
        check_labels(data, labels)
        start = time.perf_counter()
        tables, scalars = self._inputs(data)
        scale = []
        for j in self._columns(data):
            positive = tables[:, :, j][tables[:, :, j] > 0]
            scale.append(float(positive.mean()) if positive.size else 1.0)
        self.state = {"n_factories": int(tables.shape[1]), "scale": scale}
        fsum = self._factory_sums(data, tables)
        n = labels.months_per_label.astype(np.float64)
        per_month_s = (labels.membership @ scalars) / n[:, None]
        s_mean, s_std, keep = column_spread(per_month_s)
        _, f_std, _ = column_spread((labels.membership @ fsum) / n[:, None])
        z = ((scalars - s_mean) / s_std)[:, keep]
        # no intercept: a free constant could cancel a constant per factory (so many factories x a little,
        # minus a lot) and the factories' shares would mean nothing; the statistics are centred, so the
        # level is the factories' alone
        design = np.column_stack([labels.membership @ (fsum / f_std), labels.membership @ z])
        k = fsum.shape[1]

        def solve(x, y, sw, alpha):
            return _solve(x, y, sw, k, alpha)

        score, alpha, resid = choose_penalty(design, labels.values, n, self.config["alphas"], solve)
        coef = solve(design, labels.values, np.sqrt(1.0 / n), alpha)
        half = residual_half_width(resid)
        self.state.update(
            f_std=f_std.tolist(),
            s_mean=s_mean.tolist(),
            s_std=s_std.tolist(),
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
            "cv_rmse_per_month": math.sqrt(score),
            "interval_half_width": half,
            "factory_weights_nonzero": int((coef[:k] > 0).sum()),
            **self.config,
        }

    def _factory_weights(self) -> np.ndarray:
        k = len(self.state["f_std"])
        return np.asarray(self.state["coef"][:k]) / np.asarray(self.state["f_std"])

    def _estimate(self, data: MonthlyDataset, tables: np.ndarray, scalars: np.ndarray) -> np.ndarray:
        if not self.state.get("coef"):
            raise RuntimeError("the model is not trained")
        st = self.state
        keep = np.asarray(st["keep"], dtype=bool)
        z = ((scalars - np.asarray(st["s_mean"])) / np.asarray(st["s_std"]))[:, keep]
        k = len(st["f_std"])
        return self._factory_sums(data, tables) @ self._factory_weights() + z @ np.asarray(st["coef"])[k:]

    def predict(self, data: MonthlyDataset) -> Prediction:
        est = self._estimate(data, *self._inputs(data))
        half = self.state["half_width"]
        return Prediction(est, est - half, est + half)

    def factory_outputs(self, data: MonthlyDataset) -> np.ndarray:
        tables, scalars = self._inputs(data)
        estimate = np.clip(self._estimate(data, tables, scalars), 0.0, None)
        weights = self._factory_weights()
        curve = np.zeros(tables.shape[:2])
        for w, b in zip(weights, _basis(tables, np.asarray(self.state["scale"]), self._columns(data)), strict=True):
            if w > 0:
                curve += w * b
        total = curve.sum(axis=1, keepdims=True)
        # a month in which no factory shows light: its estimate shared evenly among the factories
        present = np.ones_like(curve) / max(curve.shape[1], 1)
        share = np.where(total > 0, curve / np.where(total > 0, total, 1.0), present)
        return share * estimate[:, None]
