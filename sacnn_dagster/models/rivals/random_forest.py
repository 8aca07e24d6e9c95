"""The random forest: scikit-learn's RandomForestRegressor on SA-CNN's inputs. Saved as a pickle
(scikit-learn has no other format; it is only ever loaded from the project's own output folder)."""

from __future__ import annotations

import pickle
import time
from pathlib import Path

import numpy as np
from sklearn.ensemble import RandomForestRegressor

from sacnn_dagster.models.base import INTERVAL_COVERAGE, JsonStateModel, Prediction, check_labels
from sacnn_dagster.models.dataset import Labels, MonthlyDataset
from sacnn_dagster.models.inputs import model_inputs


def _per_tree(forest: RandomForestRegressor, x: np.ndarray) -> np.ndarray:
    """(trees, rows) predictions of every tree. Their mean is the forest's estimate, summed in the same order
    every time: `RandomForestRegressor.predict` with n_jobs > 1 adds the trees up in the order its threads
    finish, which changes the last bits from one call to the next."""
    return np.stack([t.predict(x) for t in forest.estimators_])


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
        tables, scalars, _ = model_inputs(data, self.config["gapfill"], self.state.get("n_factories"))
        return np.concatenate([tables.reshape(tables.shape[0], -1), scalars], axis=1).astype(np.float32)

    def _forest(self) -> RandomForestRegressor:
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
                guess = _per_tree(self._forest().fit(rows_x[0], rows_y[0]), x).mean(axis=0)
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
        per_tree = _per_tree(self.forest, self._features(data))
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
