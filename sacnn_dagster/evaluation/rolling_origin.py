"""Rolling-origin evaluation: every model trained on the labels up to the end of a year and scored on the
next year, for the last few years that have labels. It is the situation the product is used in (the
months after the last published value), so its scores choose the served estimate and its residuals
calibrate the intervals.

A label belongs to the year of its last month; a combined January-February label is compared with the
sum of its months' predictions, as everywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sacnn_dagster.evaluation.metrics import metrics
from sacnn_dagster.models.dataset import Labels, MonthlyDataset
from sacnn_dagster.models.suite import MIN_TRAINING_LABELS, fit_all, label_prediction

#: How many test years: the last three years with labels (each trained on every earlier label).
ROLLING_YEARS = 3

PREDICTION_COLUMNS = ("model", "fold_year", "month", "estimate", "lower", "upper")
LABEL_COLUMNS = ("model", "fold_year", "period", "months", "observed", "predicted")


@dataclass(frozen=True)
class Fold:
    """Train on `train` (label indices, every label whose months end by the end of `year` - 1), test on
    `test` (the labels of `year`)."""

    year: int
    train: np.ndarray
    test: np.ndarray


def label_years(data: MonthlyDataset, labels: Labels) -> np.ndarray:
    """(L,) the year of each label's last month."""
    years = np.array([int(m[:4]) for m in data.months])
    last = labels.membership.shape[1] - 1 - np.argmax(labels.membership[:, ::-1] > 0, axis=1)
    return years[last]


def rolling_folds(
    data: MonthlyDataset, labels: Labels, n_years: int = ROLLING_YEARS, min_train: int = MIN_TRAINING_LABELS
) -> list[Fold]:
    """The folds of the last `n_years` years that have labels and at least `min_train` earlier labels to
    train on, oldest first."""
    years = label_years(data, labels)
    folds = []
    for year in np.unique(years):
        train, test = np.flatnonzero(years < year), np.flatnonzero(years == year)
        if len(train) >= min_train:
            folds.append(Fold(int(year), train, test))
    return folds[-n_years:] if n_years > 0 else []


@dataclass
class RollingOrigin:
    """Per model and fold: `predictions`, one row per month of the test year (PREDICTION_COLUMNS), and
    `labels`, one row per held-out label with its observed value and the sum of its months' predictions
    (LABEL_COLUMNS). `scores`: per model, R², RMSE and MAPE over every held-out label of every fold, and
    per fold year."""

    predictions: pd.DataFrame
    labels: pd.DataFrame
    scores: dict[str, dict]
    folds: list[Fold]


def score_labels(table: pd.DataFrame) -> dict[str, dict]:
    """The scores of a LABEL_COLUMNS table: per model, pooled over folds, plus `folds` per year."""
    scores = {}
    for model, rows in table.groupby("model", sort=False):
        scores[model] = {
            **metrics(rows["observed"], rows["predicted"]),
            "n_test": len(rows),
            "folds": {
                str(year): {**metrics(f["observed"], f["predicted"]), "n_test": len(f)}
                for year, f in rows.groupby("fold_year")
            },
        }
    return scores


def rolling_origin(data: MonthlyDataset, labels: Labels, n_years: int = ROLLING_YEARS, fit=fit_all) -> RollingOrigin:
    """Train every model (`fit`, models.suite.fit_all by default) per fold and predict its test year."""
    folds = rolling_folds(data, labels, n_years)
    if not folds:
        raise ValueError(f"no year with labels after {MIN_TRAINING_LABELS} earlier labels: nothing to test on")
    year_of_month = np.array([int(m[:4]) for m in data.months])
    months = np.asarray(data.months)
    pred_rows, label_rows = [], []
    for fold in folds:
        test = labels.subset(fold.test)
        in_year = year_of_month == fold.year
        for name, (model, _) in fit(data, labels.subset(fold.train)).items():
            p = model.predict(data)
            pred_rows.append(
                pd.DataFrame(
                    {
                        "model": name,
                        "fold_year": fold.year,
                        "month": months[in_year],
                        "estimate": p.estimate[in_year],
                        "lower": p.lower[in_year],
                        "upper": p.upper[in_year],
                    }
                )
            )
            label_rows.append(
                pd.DataFrame(
                    {
                        "model": name,
                        "fold_year": fold.year,
                        "period": test.periods,
                        "months": test.months_per_label,
                        "observed": test.values,
                        "predicted": label_prediction(test, p),
                    }
                )
            )
    table = pd.concat(label_rows, ignore_index=True)
    return RollingOrigin(pd.concat(pred_rows, ignore_index=True), table, score_labels(table), folds)
