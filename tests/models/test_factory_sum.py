"""Factory-sum: a model whose monthly total is a sum of per-factory outputs recovers known per-factory
outputs from the city totals alone (combined January-February labels included)."""

from __future__ import annotations

import numpy as np
import pytest

from sacnn_dagster.config.months import month_range
from sacnn_dagster.evaluation.metrics import r2
from sacnn_dagster.features.patches import FEATURE_COLUMNS
from sacnn_dagster.models.dataset import SCALAR_COLUMNS, FactoryRegistry, MonthlyDataset
from sacnn_dagster.models.factory_output import gives_factory_outputs, shares
from sacnn_dagster.models.registry import MODELS, make_model
from sacnn_dagster.models.rivals.factory_sum import FactorySumModel

from . import jan_feb_combined, monthly_labels

TRAIN_MONTHS = 48


def factories(n_months: int = 60, n_factories: int = 60, seed: int = 1, exponent: float = 0.6):
    """(dataset, per-factory output (M, R)): each factory's own index (trend of its own, some stop for a
    while), a shared season with a low February; light = 10 x output^exponent + a growing city glow that
    says nothing of output. No factory's output is given to the model, only their sum."""
    rng = np.random.default_rng(seed)
    months = month_range("2016-01", "2100-12")[:n_months]
    moy = np.array([int(m[5:]) for m in months])
    t = np.arange(n_months)[:, None] / 12.0
    capacity = rng.lognormal(0.0, 0.8, n_factories)
    growth = rng.normal(0.0, 0.15, n_factories)
    season = np.where(moy == 2, 0.7, 1.0)[:, None]
    output = capacity * np.exp(growth * t) * season * np.exp(rng.normal(0, 0.05, (n_months, n_factories)))
    stopped = rng.random(n_factories) < 0.2
    output[20:30, stopped] *= 0.1  # a shock: a fifth of the factories nearly stop for ten months
    city = 3.0 * 1.05 ** t[:, 0]
    light = 10.0 * output**exponent
    col = {name: j for j, name in enumerate(FEATURE_COLUMNS)}
    tables = np.zeros((n_months, n_factories, len(FEATURE_COLUMNS)), dtype=np.float32)
    tables[:, :, col["ntl_factory"]] = light + city[:, None]
    tables[:, :, col["lu_301_ntl_sum"]] = 5 * light + rng.normal(0, 0.5, light.shape)
    tables[:, :, col["ntl_buffer_sum"]] = 6 * light + 30 * city[:, None]
    tables[:, :, col["observed_fraction"]] = 1.0
    scalars = np.zeros((n_months, len(SCALAR_COLUMNS)))
    sc = {name: j for j, name in enumerate(SCALAR_COLUMNS)}
    scalars[:, sc["urban_ntl_sum"]] = 1000 * city + light.sum(axis=1)
    scalars[:, sc["urban_pixels"]] = 1000
    scalars[:, sc["rural_ntl_sum"]] = 500 * city
    scalars[:, sc["rural_pixels"]] = 3000
    total = scalars[:, sc["urban_ntl_sum"]] + scalars[:, sc["rural_ntl_sum"]]
    registry = FactoryRegistry(tuple(f"f{i:04d}" for i in range(n_factories)))
    data = MonthlyDataset(months, registry, tables, scalars, total, np.zeros(n_months, dtype=np.int64))
    return data, output


@pytest.fixture(scope="module")
def trained():
    data, output = factories()
    groups = [g for g in jan_feb_combined(data.months) if g[-1] < TRAIN_MONTHS]
    labels = monthly_labels(output.sum(axis=1), data.months, groups)
    assert (labels.months_per_label == 2).sum() == 4  # combined Jan-Feb labels are part of the training
    model = FactorySumModel()
    info = model.fit(data, labels)
    return data, output, model, info


def test_recovers_each_factorys_output(trained):
    data, output, model, _ = trained
    per_factory = model.factory_outputs(data)
    assert per_factory.shape == output.shape and np.all(per_factory >= 0)
    # every factory-month, and each factory's share of the city, out of time included
    assert r2(output.ravel(), per_factory.ravel()) > 0.9
    late = slice(TRAIN_MONTHS, None)
    assert r2(output[late].ravel(), per_factory[late].ravel()) > 0.9
    true_share, est_share = shares(output), shares(per_factory)
    assert np.abs(est_share - true_share).sum(axis=1).max() < 0.25  # at most a quarter of the total misplaced


def test_factories_add_up_to_the_estimate_and_the_total_holds_out_of_time(trained):
    data, output, model, info = trained
    pred = model.predict(data)
    assert np.allclose(model.factory_outputs(data).sum(axis=1), pred.estimate)
    truth = output.sum(axis=1)
    assert r2(truth[TRAIN_MONTHS:], pred.estimate[TRAIN_MONTHS:]) > 0.9
    assert np.all(pred.lower < pred.estimate) and np.allclose(pred.upper - pred.estimate, info["interval_half_width"])


def test_a_stopped_factory_gets_less(trained):
    data, output, model, _ = trained
    per_factory = model.factory_outputs(data)
    stopped = output[25] < 0.2 * output[15]
    assert stopped.any()
    ratio = per_factory[25, stopped].sum() / per_factory[15, stopped].sum()
    assert ratio < 0.4


def test_saved_and_loaded_it_gives_the_same_outputs(trained, tmp_path):
    data, _, model, _ = trained
    model.save(tmp_path / "m")
    again = FactorySumModel.load(tmp_path / "m")
    assert np.array_equal(again.factory_outputs(data), model.factory_outputs(data))
    assert np.array_equal(again.predict(data).estimate, model.predict(data).estimate)


def test_registered_and_the_only_one_giving_factory_outputs():
    assert MODELS["factory_sum"] is FactorySumModel
    assert [n for n in MODELS if gives_factory_outputs(make_model(n))] == ["factory_sum"]
