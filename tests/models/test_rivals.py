"""The rivals: linear baseline, random forest and sum-ridge; beyond test_models.py: exact sums of combined
labels, intervals, persistence, the registry."""

from __future__ import annotations

import numpy as np
import pytest

from sacnn_dagster.evaluation.metrics import r2
from sacnn_dagster.models.base import t_quantile, version
from sacnn_dagster.models.registry import MODELS, make_model
from sacnn_dagster.models.rivals import LinearNtlModel, RandomForestModel, SumRidgeModel

from . import jan_feb_combined, monthly_labels, synthetic

TEST = list(range(60, 72))


@pytest.fixture(scope="module")
def known():
    data, truth = synthetic(72, 40, seed=0)
    groups = [g for g in jan_feb_combined(data.months) if g[-1] < 60]
    return data, truth, groups, monthly_labels(truth, data.months, groups)


def test_linear_fits_only_combined_labels_exactly(known):
    data, _, _, _ = known
    truth = 0.003 * data.total_ntl - 20.0
    groups = [[i, i + 1] for i in range(0, 60, 2)]  # every label covers two months
    model = LinearNtlModel()
    info = model.fit(data, monthly_labels(truth, data.months, groups))
    assert info["slope"] == pytest.approx(0.003, rel=1e-8) and info["intercept"] == pytest.approx(-20.0, abs=1e-6)


def test_linear_interval_is_the_ols_prediction_interval(known):
    data, _, groups, _ = known
    rng = np.random.default_rng(0)
    truth = 0.002 * data.total_ntl + 100.0 + rng.normal(0, 5.0, len(data.months))
    model = LinearNtlModel()
    model.fit(data, monthly_labels(truth, data.months, [g for g in groups if len(g) == 1]))
    pred = model.predict(data)
    half = pred.upper - pred.estimate
    assert np.all(half > t_quantile(0.95, 40) * 3.5)  # about t * sigma, sigma = 5
    assert np.allclose(half, pred.estimate - pred.lower)
    assert np.mean((truth >= pred.lower) & (truth <= pred.upper)) > 0.8


def test_random_forest_splits_combined_labels_by_its_own_estimates(known):
    data, truth, _, labels = known
    split, drop = RandomForestModel(n_estimators=50), RandomForestModel(n_estimators=50, combined="drop")
    info_split, info_drop = split.fit(data, labels), drop.fit(data, labels)
    n_combined = int((labels.months_per_label > 1).sum())
    assert info_split["n_combined_labels_split"] == n_combined and info_drop["n_combined_labels_dropped"] == n_combined
    feb = [i for i in TEST if data.months[i].endswith("-02")]
    # trained on single months only, a forest never predicts a month as low as February
    assert split.predict(data).estimate[feb][0] < drop.predict(data).estimate[feb][0]
    pred = split.predict(data)
    assert r2(truth[TEST], pred.estimate[TEST]) > 0.3
    assert np.all(pred.lower <= pred.estimate + 1e-9) and np.all(pred.estimate <= pred.upper + 1e-9)


def test_sum_ridge_learns_the_known_relation_with_combined_labels(known):
    data, truth, _, labels = known
    model = SumRidgeModel()
    info = model.fit(data, labels)
    pred = model.predict(data)
    assert r2(truth[TEST], pred.estimate[TEST]) > 0.9
    assert info["alpha"] in model.config["alphas"]
    assert np.mean((truth[TEST] >= pred.lower[TEST]) & (truth[TEST] <= pred.upper[TEST])) >= 0.75


@pytest.mark.parametrize("cls", [LinearNtlModel, RandomForestModel, SumRidgeModel])
def test_save_load_round_trip(known, tmp_path, cls):
    data, _, _, labels = known
    model = cls(n_estimators=20) if cls is RandomForestModel else cls()
    model.fit(data, labels)
    model.save(tmp_path / "m")
    loaded = cls.load(tmp_path / "m")
    a, b = model.predict(data), loaded.predict(data)
    for x, y in ((a.estimate, b.estimate), (a.lower, b.lower), (a.upper, b.upper)):
        np.testing.assert_array_equal(x, y)
    assert len(version(tmp_path / "m")) == 16


def test_registry_and_factory():
    assert list(MODELS) == ["sacnn", "random_forest", "linear", "sum_ridge", "factory_sum"]
    assert MODELS["linear"] is LinearNtlModel and len(MODELS) == 5
    assert isinstance(make_model("sum_ridge"), SumRidgeModel)
    with pytest.raises(ValueError, match="unknown model"):
        make_model("xgboost")
