"""SA-CNN's rivals: a random forest on the same inputs, the linear baseline on total NTL, and a sum-aware
ridge regression on factory features aggregated over the city (this project's own model).

All three are cheap (seconds) and saved as plain JSON / NumPy files, except the forest (a pickle:
scikit-learn has no other format; it is only ever loaded from the project's own output folder).
"""

from __future__ import annotations

import math
import pickle
import time
from pathlib import Path

import numpy as np

from sacnn_dagster.models.base import (
    INTERVAL_COVERAGE,
    MonthlyModel,
    Prediction,
    check_labels,
    read_json,
    write_json,
)
from sacnn_dagster.models.base import t_quantile as _t_quantile
from sacnn_dagster.models.dataset import Labels, MonthlyDataset
from sacnn_dagster.models.gapfill import model_inputs


class JsonStateModel(MonthlyModel):
    """A model whose whole fitted state is a small JSON-able dict (`self.state`) beside its `self.config`."""

    config: dict
    state: dict

    def save(self, folder: Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        write_json(folder / "model.json", {"name": self.name, "config": self.config, "state": self.state})

    @classmethod
    def load(cls, folder: Path) -> JsonStateModel:
        meta = read_json(Path(folder) / "model.json")
        model = cls(**meta["config"])
        model.state = meta["state"]
        return model


def _fit_factories(tables: np.ndarray, n_factories: int | None) -> np.ndarray:
    """Tables cut or zero-padded to the factories the model was trained with (the registry only appends,
    so factories added after training are the last rows: they are left out)."""
    if n_factories is None or tables.shape[1] == n_factories:
        return tables
    if tables.shape[1] > n_factories:
        return tables[:, :n_factories]
    pad = np.zeros((tables.shape[0], n_factories - tables.shape[1], tables.shape[2]), tables.dtype)
    return np.concatenate([tables, pad], axis=1)


class RandomForestModel(JsonStateModel):
    """scikit-learn RandomForestRegressor on the same inputs as SA-CNN: the month's per-factory features
    (gap-filled, flattened in registry order) plus its urban/rural statistics. Seeded.

    Combined labels: a tree cannot be fitted to a sum of two of its own predictions. With
    `combined="split"` (default) the forest is first fitted on the single-month labels; each combined
    label is then split between its months in proportion to that forest's predictions for them (so the
    parts add up to the published value exactly), and the forest is refitted on all labels. This keeps the
    January/February information (without it a forest can never predict a month below the lowest
    single-month label it saw, and every New Year month is overestimated). `combined="drop"` trains on the
    single-month labels only. With no single-month label at all, combined labels are split evenly.

    `max_features="sqrt"` (about 250 of some 60 000 inputs per split): on the synthetic benchmark data
    (benchmarks/model_training.py, two seeds, never the evaluation months) it scored as well as 0.3 while
    fitting 30 times faster (3 s against 100 s on two cores).

    Interval: the 5 % and 95 % quantiles of the per-tree predictions (a spread of the bagged trees, not a
    calibrated predictive interval: it is typically too narrow where the forest extrapolates).
    """

    name = "random_forest"

    def __init__(
        self,
        *,
        seed: int = 0,
        n_estimators: int = 200,
        max_features: float | str = "sqrt",
        min_samples_leaf: int = 1,
        combined: str = "split",
        gapfill: bool = True,
        threads: int | None = 2,
    ):
        if combined not in ("split", "drop"):
            raise ValueError("combined must be 'split' or 'drop'")
        self.config = {
            "seed": seed,
            "n_estimators": n_estimators,
            "max_features": max_features,
            "min_samples_leaf": min_samples_leaf,
            "combined": combined,
            "gapfill": gapfill,
            "threads": threads,
        }
        self.forest = None
        self.state: dict = {}

    def _features(self, data: MonthlyDataset) -> np.ndarray:
        tables, scalars, _ = model_inputs(data, self.config["gapfill"])
        tables = _fit_factories(tables, self.state.get("n_factories"))
        return np.concatenate([tables.reshape(tables.shape[0], -1), scalars], axis=1).astype(np.float32)

    def _forest(self):
        from sklearn.ensemble import RandomForestRegressor

        c = self.config
        return RandomForestRegressor(
            n_estimators=c["n_estimators"],
            max_features=c["max_features"],
            min_samples_leaf=c["min_samples_leaf"],
            random_state=c["seed"],
            n_jobs=c["threads"],
        )

    def fit(self, data: MonthlyDataset, labels: Labels) -> dict:
        check_labels(data, labels)
        start = time.perf_counter()
        self.state = {"n_factories": int(data.tables.shape[1])}
        x = self._features(data)
        single = labels.months_per_label == 1
        month_of = labels.membership.argmax(axis=1)
        rows_x, rows_y = [x[month_of[single]]], [labels.values[single]]
        split = 0
        combined_rows = np.flatnonzero(~single)
        if len(combined_rows) and (self.config["combined"] == "split" or not single.any()):
            if single.any():
                first = self._forest().fit(rows_x[0], rows_y[0])
                guess = first.predict(x)
            else:
                guess = np.ones(len(x))
            for i in combined_rows:
                months = np.flatnonzero(labels.membership[i] > 0)
                share = np.clip(guess[months], 1e-9, None)
                rows_x.append(x[months])
                rows_y.append(labels.values[i] * share / share.sum())
                split += 1
        self.forest = self._forest().fit(np.concatenate(rows_x), np.concatenate(rows_y))
        return {
            "model": self.name,
            "seconds": round(time.perf_counter() - start, 2),
            "n_labels": len(labels),
            "n_single_labels": int(single.sum()),
            "n_combined_labels_split": split,
            "n_combined_labels_dropped": int(len(combined_rows) - split),
            **self.config,
        }

    def predict(self, data: MonthlyDataset) -> Prediction:
        if self.forest is None:
            raise RuntimeError("the model is not trained")
        x = self._features(data)
        per_tree = np.stack([t.predict(x) for t in self.forest.estimators_])
        alpha = (1 - INTERVAL_COVERAGE) / 2
        return Prediction(
            per_tree.mean(axis=0), np.quantile(per_tree, alpha, axis=0), np.quantile(per_tree, 1 - alpha, axis=0)
        )

    def save(self, folder: Path) -> None:
        super().save(folder)
        with open(Path(folder) / "forest.pkl", "wb") as fh:
            pickle.dump(self.forest, fh, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def load(cls, folder: Path) -> RandomForestModel:
        model = super().load(folder)
        with open(Path(folder) / "forest.pkl", "rb") as fh:
            model.forest = pickle.load(fh)  # noqa: S301 (the project's own file)
        return model


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
    half = _t_quantile(0.5 + INTERVAL_COVERAGE / 2, fit["dof"]) * fit["s"] * np.sqrt(1 + lev)
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
            from sacnn_dagster.models.dataset import SCALAR_COLUMNS
            from sacnn_dagster.models.gapfill import fill_scalars

            s, _ = fill_scalars(data.scalars)
            total = s[:, SCALAR_COLUMNS.index("urban_ntl_sum")] + s[:, SCALAR_COLUMNS.index("rural_ntl_sum")]
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
        tables, scalars, _ = model_inputs(data, self.config["gapfill"])
        tables = _fit_factories(tables, self.state.get("n_factories"))
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
        w = 1.0 / n
        sw = np.sqrt(w)
        xw, yw = design * sw[:, None], labels.values * sw
        p = design.shape[1]
        best = None
        for alpha in self.config["alphas"]:
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
        score, alpha, coef, loo = best
        half = (
            _t_quantile(0.5 + INTERVAL_COVERAGE / 2, max(len(loo) - 1, 1))
            * math.sqrt(score)
            * math.sqrt(1 + 1 / len(loo))
        )
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
