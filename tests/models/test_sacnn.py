"""SA-CNN: the image layout, the input preparation, the architecture, and training behaviour that the
model tests in test_models.py do not cover (combined labels on held-out years, saved bytes, registry
growth, global torch settings)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sacnn_dagster.models.base import version
from sacnn_dagster.models.sacnn import (
    MIN_SIDE,
    ZERO_VALUE,
    SacnnModel,
    SacnnNet,
    fit_input_transform,
    image_side,
    prepare_table,
    to_images,
    whitening_matrix,
)

from . import jan_feb_combined, monthly_labels, synthetic


def test_image_is_the_table_flattened_factory_by_factory_and_padded():
    table = np.arange(1, 2 * 3 * 4 + 1, dtype=np.float32).reshape(2, 3, 4)  # 2 months, 3 factories, 4 features
    table[0, 1, 2] = 0.0
    side = image_side(3, 4)
    assert side == MIN_SIDE  # tiny tables are padded up to what three MaxPool(5, 2) accept
    assert image_side(2943, 20) == 243  # the demo: ceil(sqrt(58 860))
    images = to_images(table, side)
    assert images.shape == (2, 1, side, side)
    flat = images[1, 0].reshape(-1)
    assert flat[:12].tolist() == table[1].reshape(-1).tolist()  # factory 0's features, then factory 1's
    assert np.all(flat[12:] == np.float32(ZERO_VALUE))  # padding
    assert images[0, 0].reshape(-1)[1 * 4 + 2] == np.float32(ZERO_VALUE)  # zeros become 1e-4


def test_network_shapes_follow_the_paper():
    net = SacnnNet(243, 8)
    convs = [m for m in net.features if isinstance(m, torch.nn.Conv2d)]
    pools = [m for m in net.features if isinstance(m, torch.nn.MaxPool2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.padding) for c in convs] == [
        (1, 16, (3, 3), (1, 1)),
        (16, 32, (3, 3), (1, 1)),
        (32, 64, (3, 3), (1, 1)),
    ]
    assert [(p.kernel_size, p.stride) for p in pools] == [(5, 2)] * 3
    assert not any(isinstance(m, (torch.nn.Dropout, torch.nn.BatchNorm2d)) for m in net.modules())
    out = net(torch.zeros(2, 1, 243, 243), torch.zeros(2, 8))
    assert out.shape == (2,)
    assert net.head.weight_image.shape == (1, 64 * 27 * 27)  # 243 -> 120 -> 58 -> 27


@pytest.mark.parametrize("mode", ["scaled", "anomaly", "relative"])
def test_input_preparation_uses_training_statistics_only(mode):
    rng = np.random.default_rng(0)
    train = rng.uniform(1, 100, (10, 5, 3)).astype(np.float32)
    train[:, 4] = 0.0  # an always-absent factory
    tf = fit_input_transform(train, mode)
    out = prepare_table(train, tf)
    assert out.shape == train.shape and out.dtype == np.float32 and np.isfinite(out).all()
    other = prepare_table(train * 1.1, tf)  # new months are prepared with the same statistics
    if mode == "relative":
        assert not out[:, 4].any()  # dark cells stay 0
        np.testing.assert_allclose(other[:, :4], np.clip(1.1 * (out[:, :4] + 1) - 1, -1, 3), rtol=1e-5, atol=1e-5)
        # a movement common to every factory shifts the whole image uniformly
        mean = train.mean(axis=0)
        shifted = prepare_table(np.broadcast_to(mean * 0.8, train.shape), tf)
        np.testing.assert_allclose(shifted[:, :4], -0.2, atol=1e-5)
    else:
        np.testing.assert_allclose(np.sqrt((out.astype(np.float64) ** 2).mean(axis=(0, 1))), [1, 1, 1], rtol=1e-5)


def test_whitening_decorrelates_and_drops_constant_directions():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(50, 1))
    z = np.column_stack([a, 2 * a + rng.normal(0, 0.1, (50, 1)), np.zeros((50, 1))])
    z = (z - z.mean(0)) / np.where(z.std(0) > 0, z.std(0), 1)
    w = whitening_matrix(z)
    cov = np.cov(z @ w, rowvar=False)
    kept = np.abs(np.diag(cov)) > 0.5
    assert kept.sum() == 2
    np.testing.assert_allclose(cov[np.ix_(kept, kept)], np.eye(2), atol=1e-8)


@pytest.fixture(scope="module")
def trained():
    data, truth = synthetic(60, 40, seed=2)
    labels = monthly_labels(truth, data.months, jan_feb_combined(data.months))
    model = SacnnModel(seed=1, max_epochs=15)
    info = model.fit(data, labels)
    return data, truth, labels, model, info


def test_training_info_and_interval(trained):
    data, truth, labels, model, info = trained
    assert info["n_labels"] == len(labels) and info["n_val_labels"] >= 3
    assert 0 <= info["best_epoch"] <= info["epochs"] <= 15
    assert info["interval_from"] == "validation residuals" and info["interval_half_width"] > 0
    pred = model.predict(data)
    np.testing.assert_allclose(pred.upper - pred.estimate, model.state["half_width"], rtol=1e-12)
    assert np.mean((truth >= pred.lower) & (truth <= pred.upper)) > 0.8


def test_fit_restores_global_torch_settings(trained):
    threads = torch.get_num_threads()
    det = torch.are_deterministic_algorithms_enabled()
    data, _, labels, _, _ = trained
    SacnnModel(seed=0, max_epochs=1, threads=1).fit(data, labels)
    assert torch.get_num_threads() == threads and torch.are_deterministic_algorithms_enabled() == det


def test_saved_files_are_deterministic_and_registry_growth_is_ignored(trained, tmp_path):
    data, _, labels, model, _ = trained
    model.save(tmp_path / "a")
    model.save(tmp_path / "b")
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["model.json", "transform.npz", "weights.pt"]
    assert version(tmp_path / "a") == version(tmp_path / "b")
    loaded = SacnnModel.load(tmp_path / "a")
    # a later snapshot appended factories: the model predicts from the factories it was trained with
    grown = type(data)(
        data.months,
        data.registry,
        np.concatenate([data.tables, data.tables[:, :3] * 5], axis=1),
        data.scalars,
        data.total_ntl,
        data.unknown_factories,
    )
    np.testing.assert_array_equal(loaded.predict(grown).estimate, model.predict(data).estimate)


def test_combined_label_of_an_unseen_kind_is_split_by_the_features():
    """Every January and February is labelled only as their sum; the model still ranks February (a 30 %
    lower month) below January in years it never saw."""
    data, truth = synthetic(72, 40, seed=5)
    groups = [g for g in jan_feb_combined(data.months) if g[-1] < 60]
    model = SacnnModel(seed=0)
    model.fit(data, monthly_labels(truth, data.months, groups))
    est = model.predict(data).estimate
    for jan in (60,):
        assert est[jan] + est[jan + 1] == pytest.approx(truth[jan] + truth[jan + 1], rel=0.05)
        assert est[jan + 1] < 0.9 * est[jan]


def test_labels_must_match_the_dataset(trained):
    data, truth, _, _, _ = trained
    bad = monthly_labels(truth[:10], data.months[:10], [[0], [1]])
    with pytest.raises(ValueError, match="membership"):
        SacnnModel().fit(data, bad)


def test_on_epoch_sees_every_epoch_and_the_kept_weights_are_the_best_epoch_s(trained):
    data, _, labels, model, _ = trained
    seen: dict[int, np.ndarray] = {}
    probe = SacnnModel(seed=1, max_epochs=4, patience=10)
    probe.on_epoch = lambda epoch, estimate: seen.__setitem__(epoch, estimate.copy())
    info = probe.fit(data, labels)
    assert sorted(seen) == list(range(info["epochs"] + 1)) and info["start_loss"] > 0
    assert all(e.shape == (len(data.months),) for e in seen.values())
    np.testing.assert_allclose(probe.predict(data).estimate, seen[info["best_epoch"]], rtol=1e-5)
    assert model.on_epoch is None  # the hook is the instance's own, the pipeline's models have none
