"""The served estimate in gvio_estimate's rows: conformal intervals, the ensemble's row, one `selected`."""

import math

import numpy as np
import pytest

from sacnn_dagster.defs.outputs.gvio_estimate import served_predictions
from sacnn_dagster.evaluation.selection import ENSEMBLE, Selection
from sacnn_dagster.models.base import Prediction


def _predictions():
    return {
        "sacnn": Prediction([100.0, 110.0], [99.0, 109.0], [101.0, 111.0]),
        "sum_ridge": Prediction([120.0, 130.0], [119.0, 129.0], [121.0, 131.0]),
    }


def test_the_ensemble_is_served_with_its_conformal_interval():
    selection = Selection(
        ENSEMBLE, "rule", weights={"sacnn": 0.25, "sum_ridge": 0.75}, half_widths={"sacnn": 0.1, ENSEMBLE: 0.05}
    )
    served = served_predictions(_predictions(), selection)
    assert [name for name, (_, selected) in served.items() if selected] == [ENSEMBLE]
    ensemble, _ = served[ENSEMBLE]
    np.testing.assert_allclose(ensemble.estimate, [115.0, 125.0])
    np.testing.assert_allclose(ensemble.lower, [115.0 * 0.95, 125.0 * 0.95])
    np.testing.assert_allclose(served["sacnn"][0].upper, [110.0, 121.0])
    # no finite half width: the model's own interval stays
    np.testing.assert_allclose(served["sum_ridge"][0].lower, [119.0, 129.0])


def test_a_model_is_served_and_sacnn_without_a_selection():
    served = served_predictions(_predictions(), Selection("sum_ridge", "rule", half_widths={"sacnn": math.nan}))
    assert ENSEMBLE not in served and served["sum_ridge"][1] and not served["sacnn"][1]
    assert served["sacnn"][0].lower[0] == pytest.approx(99.0)
    legacy = served_predictions(_predictions(), None)
    assert legacy["sacnn"][1] and not legacy["sum_ridge"][1]


def test_the_small_demo_serves_one_estimate_a_month_chosen_by_its_rolling_origin_scores(materialized_small_demo):
    import json

    import pandas as pd

    out = materialized_small_demo.storage
    version = json.loads((out / "gvio_model" / "current.json").read_text())["version"]
    selection = json.loads((out / "gvio_model" / version / "selection.json").read_text())
    scores = {c: s["r2"] for c, s in selection["scores"].items()}
    assert "sacnn" in scores and selection["selected"] == max(scores, key=scores.get)
    for month in materialized_small_demo.months_estimated:
        table = pd.read_parquet(out / "gvio_estimate" / f"{month}.parquet")
        assert table["selected"].sum() == 1 and table.loc[table["selected"], "model"].item() == selection["selected"]
        assert (table["lower"] <= table["estimate"]).all() and (table["estimate"] <= table["upper"]).all()


def test_the_evaluation_table_shows_rolling_origin_scores_and_the_served_candidate():
    from sacnn_dagster.cli.evaluation import evaluation_table
    from sacnn_dagster.defs.evaluation.model_evaluation import _selected

    split = {"r2": 0.9, "rmse": 10.0, "mape": 2.0}
    selection = Selection("sum_ridge", "rule", scores={"sacnn": {**split, "r2": 0.8}, "sum_ridge": split})
    summary = {
        "models": {"sacnn": {"random": split, "time": split}},
        "grid": {"r2_vs_true_grid": None, "r2_vs_district": 0.9},
        "rolling_origin": selection.scores,
        "selected": _selected(selection),
    }
    text = evaluation_table(summary)
    assert "served estimate: sum_ridge" in text
    served_line = next(line for line in text.splitlines() if line.endswith("<- served"))
    assert "sum_ridge" in served_line and "0.900" in served_line
    assert summary["selected"]["rolling_origin"] == split and _selected(None)["model"] == "sacnn"
    # a summary written before selections still prints
    assert "served" not in evaluation_table({k: summary[k] for k in ("models", "grid")})
