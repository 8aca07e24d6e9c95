"""Scores of one bench region after its pipeline run (benchmarks/accuracy.py): rolling-origin refits on
the stored patch tables, scored against the generator's TRUE monthly totals; the served grid by district
and year against the true district totals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sacnn_dagster.evaluation.coverage import leave_one_fold_out_coverage
from sacnn_dagster.evaluation.metrics import mape, r2
from sacnn_dagster.evaluation.rolling_origin import rolling_origin
from sacnn_dagster.evaluation.selection import ensemble_rows
from sacnn_dagster.evaluation.validation import annual_district_r2, read_district_truth
from sacnn_dagster.features.patch_table import read_patch_table
from sacnn_dagster.io.layout import STATISTICS_FILE, months_stored
from sacnn_dagster.models.dataset import Labels, build_dataset, build_labels

#: The name of the served (selected) estimate's row, beside the models'.
SELECTED = "selected"


def stored_dataset(storage: Path):
    """Every stored month's patch table, arranged for the models, and the published labels."""
    keys = [p.relative_to(storage).as_posix() for p in (storage / "factory_patches").glob("*.parquet")]
    months = months_stored(keys, "factory_patches")
    data = build_dataset({m: read_patch_table(storage / "factory_patches" / f"{m}.parquet") for m in months})
    labels, _ = build_labels(pd.read_parquet(storage / STATISTICS_FILE), data.months)
    return data, labels


def with_truth_for_unlabelled_years(data, labels: Labels, truth: pd.Series) -> Labels:
    """The published labels plus the true value of every month of a calendar year without any label (the
    never-published year), so that the rolling-origin folds test that year too. Its folds train only on
    the labels of earlier years (rolling_folds), so the true values are never trained on."""
    covered = labels.membership.sum(axis=0) > 0
    years = np.array([m[:4] for m in data.months])
    unlabelled = [y for y in np.unique(years) if not covered[years == y].any() and (years == y).sum() == 12]
    rows = [i for i, m in enumerate(data.months) if m[:4] in unlabelled and m in truth.index]
    if not rows:
        return labels
    extra = np.zeros((len(rows), len(data.months)))
    extra[np.arange(len(rows)), rows] = 1.0
    return Labels(
        labels.periods + [data.months[i] for i in rows],
        np.concatenate([labels.values, [truth[data.months[i]] for i in rows]]),
        np.vstack([labels.membership, extra]),
        np.concatenate([labels.months_per_label, np.ones(len(rows), np.int64)]),
    )


def selected_model(storage: Path) -> str | None:
    """The model the served estimate comes from, where the estimate tables say (a boolean `selected`)."""
    files = sorted((storage / "gvio_estimate").glob("*.parquet"))
    if not files:
        return None
    table = pd.read_parquet(files[-1])
    if "selected" not in table.columns or "model" not in table.columns:
        return None
    chosen = table.loc[table["selected"].astype(bool), "model"]
    return str(chosen.iloc[0]) if len(chosen) else None


def model_scores(predictions: pd.DataFrame, truth: pd.Series, cloudy: set[str]) -> dict[str, dict]:
    """Per model, over every test month of every fold: R² and MAPE against the truth, the share of true
    values inside the nominal 90 % interval, MAPE on cloudy and on clear months, the worst month."""
    out = {}
    for model, rows in predictions.groupby("model", sort=False):
        y = truth.reindex(rows["month"]).to_numpy()
        p, lo, hi = rows["estimate"].to_numpy(), rows["lower"].to_numpy(), rows["upper"].to_numpy()
        ape = np.abs(p / y - 1.0) * 100.0
        is_cloudy = rows["month"].isin(cloudy).to_numpy()
        worst = int(np.argmax(ape))
        out[model] = {
            "r2": r2(y, p),
            "mape": mape(y, p),
            # no interval of its own (the ensemble): only the conformal one is scored
            "coverage": float(np.mean((lo <= y) & (y <= hi))) if np.isfinite(lo).any() else float("nan"),
            "mape_cloudy": float(ape[is_cloudy].mean()) if is_cloudy.any() else float("nan"),
            "mape_clear": float(ape[~is_cloudy].mean()) if (~is_cloudy).any() else float("nan"),
            "worst_month": str(rows["month"].iloc[worst]),
            "worst_ape": float(ape[worst]),
            "folds": {
                str(year): _fold(truth.reindex(f["month"]), f["estimate"]) for year, f in rows.groupby("fold_year")
            },
        }
    return out


def _fold(observed, predicted) -> dict:
    return {"r2": r2(observed, predicted), "mape": mape(observed, predicted)}


def district_r2(storage: Path, region: Path) -> dict | None:
    """The served grid summed by district and year (gvio_by_district) against the true district totals."""
    truth_csv = region / "validation" / "district_gvio_annual.csv"
    files = sorted((storage / "gvio_by_district").glob("*.parquet"))
    if not truth_csv.is_file() or not files:
        return None
    monthly = pd.concat([pd.read_parquet(f).assign(month=f.stem) for f in files], ignore_index=True)
    return annual_district_r2(monthly, read_district_truth(truth_csv))


def score_region(storage: Path, region: Path, n_years: int, cloudy: set[str]) -> dict:
    truth = pd.read_csv(region / "validation" / "gvio_monthly_true.csv", dtype={"month": str}).set_index("month")[
        "gvio"
    ]
    data, labels = stored_dataset(storage)
    folds = rolling_origin(data, with_truth_for_unlabelled_years(data, labels, truth), n_years)
    predictions, label_table = folds.predictions, folds.labels
    models = list(dict.fromkeys(predictions["model"]))
    if len(folds.folds) >= 2:
        # the product's ensemble candidate, each fold combined with weights fitted on the other folds
        lab, mon, _ = ensemble_rows(folds, models)
        predictions = pd.concat([predictions, mon.assign(lower=np.nan, upper=np.nan)], ignore_index=True)
        label_table = pd.concat([label_table, lab[list(label_table.columns)]], ignore_index=True)
    chosen = selected_model(storage)
    if chosen is not None and chosen in set(predictions["model"]):
        # the model the product chose on all its labels, refitted per fold: a slightly optimistic row,
        # since the choice saw the test years' labels (the never-published year excepted)
        predictions = pd.concat([predictions, predictions[predictions["model"] == chosen].assign(model=SELECTED)])
        label_table = pd.concat([label_table, label_table[label_table["model"] == chosen].assign(model=SELECTED)])
    scores = model_scores(predictions, truth, cloudy)
    # the served (conformal) interval: each fold's half width from the other folds' held-out labels
    conformal = leave_one_fold_out_coverage(predictions, label_table, truth).set_index("model")
    # and apart on the months the statistics publish only as a sum (January-February): their half width
    # comes from the sum's error, which hides how the sum is split between the two months
    shared = {
        data.months[j][5:]
        for i in np.flatnonzero(labels.months_per_label > 1)
        for j in np.flatnonzero(labels.membership[i])
    }
    in_shared = truth.index.str[5:].isin(shared)
    by_kind = {
        kind: leave_one_fold_out_coverage(predictions, label_table, truth[mask]).set_index("model")
        for kind, mask in (("shared", in_shared), ("alone", ~in_shared))
        if mask.any()
    }
    for model, s in scores.items():
        s["conformal_coverage"] = float(conformal["coverage"].get(model, float("nan")))
        for kind, table in by_kind.items():
            s[f"conformal_coverage_{kind}"] = float(table["coverage"].get(model, float("nan")))
    return {
        "models": scores,
        "selected": chosen,
        "fold_years": [f.year for f in folds.folds],
        "district": district_r2(storage, region),
        "n_labels": len(labels),
        "n_months": len(data.months),
    }
