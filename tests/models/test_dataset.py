"""The dataset the models learn from: factory order across POI snapshots, zero rows, unknown ids, labels
that cover several months; and the cloud gap-filling of the model inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sacnn_dagster.features.patch_table import PatchTable
from sacnn_dagster.features.patches import FEATURE_COLUMNS
from sacnn_dagster.models.dataset import (
    SCALAR_COLUMNS,
    FactoryRegistry,
    build_dataset,
    build_labels,
    load_dataset,
)
from sacnn_dagster.models.gapfill import fill_scalars, fill_tables

from . import synthetic


def patch_table(ids: list[str], base: float, month: str) -> PatchTable:
    n = len(ids)
    frame = pd.DataFrame({"id": ids, "lng": np.zeros(n), "lat": np.zeros(n), "row": 0, "col": 0})
    for j, name in enumerate(FEATURE_COLUMNS):
        frame[name] = base + np.arange(n) * 10.0 + j
    frame["dominant_landuse"] = 301.0
    frame["observed_fraction"] = 1.0
    info = {"month": month, **{c: float(i + 1) for i, c in enumerate(SCALAR_COLUMNS)}}
    return PatchTable(factories=frame, windows=np.zeros((n, 1, 1), np.float32), info=info)


def test_registry_keeps_positions_when_a_snapshot_adds_factories():
    tables = {
        "2020-01": patch_table(["b", "a", "c"], 100.0, "2020-01"),
        "2020-02": patch_table(["a", "c", "e", "d"], 200.0, "2020-02"),  # b dropped, d and e added
    }
    data = build_dataset(tables)
    assert data.registry.ids == ("a", "b", "c", "d", "e")  # first month's ids, then the newcomers
    assert data.tables.shape == (2, 5, len(FEATURE_COLUMNS))
    j = FEATURE_COLUMNS.index("ntl_factory")
    # 2020-01: a is the table's 2nd row, b the 1st, c the 3rd; d and e are absent: zero rows
    assert data.tables[0, :, j].tolist() == [110.0, 100.0, 120.0, 0.0, 0.0]
    assert data.tables[1, :, j].tolist() == [200.0, 0.0, 210.0, 230.0, 220.0]
    assert not data.tables[0, 3:].any() and not data.tables[1, 1].any()
    # the dominant class is stored as its 1-based index among the land-use classes
    assert data.tables[0, 0, FEATURE_COLUMNS.index("dominant_landuse")] == 4
    assert data.total_ntl.tolist() == [1.0 + 5.0, 1.0 + 5.0]
    assert data.unknown_factories.tolist() == [0, 0]

    # estimation with the trained registry: positions kept, unknown ids counted and ignored
    later = {"2020-03": patch_table(["z", "c", "a"], 300.0, "2020-03")}
    again = build_dataset(later, registry=FactoryRegistry(("a", "b", "c")))
    assert again.tables.shape == (1, 3, len(FEATURE_COLUMNS))
    assert again.tables[0, :, j].tolist() == [320.0, 0.0, 310.0]
    assert again.unknown_factories.tolist() == [1]


def test_registry_positions_of_unknown_ids():
    reg = FactoryRegistry.from_months({"2021-02": ["x", "y"], "2021-01": ["y", "w"]})
    assert reg.ids == ("w", "y", "x")
    assert reg.positions(["x", "q", "w"]).tolist() == [2, -1, 0]


def test_build_labels_with_a_combined_row_and_a_missing_month():
    months = ["2020-01", "2020-02", "2020-03", "2020-05"]
    stats = pd.DataFrame(
        {
            "period": ["2020-01/2020-02", "2020-03", "2020-04", "2020-05"],
            "first_month": ["2020-01", "2020-03", "2020-04", "2020-05"],
            "last_month": ["2020-02", "2020-03", "2020-04", "2020-05"],
            "n_months": [2, 1, 1, 1],
            "gvio": [5000.0, 2800.0, 2700.0, 2750.0],
            "gvio_ytd": [np.nan] * 4,
        }
    )
    labels, skipped = build_labels(stats, months)
    assert skipped == ["2020-04"]
    assert labels.periods == ["2020-01/2020-02", "2020-03", "2020-05"]
    assert labels.membership.tolist() == [[1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
    assert labels.months_per_label.tolist() == [2, 1, 1]
    sub = labels.subset([0, 2])
    assert sub.values.tolist() == [5000.0, 2750.0] and len(sub) == 2


def test_load_dataset_reads_patch_files(tmp_path):
    from sacnn_dagster.features.patch_table import write_patch_table
    from sacnn_dagster.features.patches import Patches

    feats = {name: np.array([1.0, np.nan]) for name in FEATURE_COLUMNS}
    feats["dominant_landuse"] = np.array([501.0, np.nan])
    patches = Patches(np.zeros((2, 3, 3), np.float32), np.array([1, 2]), np.array([3, 4]), feats)
    path = tmp_path / "2020-01.parquet"
    write_patch_table(path, np.array(["p", "q"]), np.zeros(2), np.zeros(2), patches, {c: 2.0 for c in SCALAR_COLUMNS})
    data = load_dataset({"2020-01": path})
    assert data.registry.ids == ("p", "q")
    assert not data.tables[0, 1].any()  # NaN (no observation) -> 0
    assert data.tables[0, 0, FEATURE_COLUMNS.index("dominant_landuse")] == 8  # 501 is the 8th class


# ---- gap-filling -----------------------------------------------------------------------------------------


def clouded(data, month: int, factories: np.ndarray):
    tables = data.tables.copy()
    tables[month, factories] = 0.0
    return tables


def test_gapfill_restores_hidden_factories_with_the_month_movement():
    data, _ = synthetic(n_months=24, n_factories=40)
    j = FEATURE_COLUMNS.index("ntl_factory")
    hidden = np.arange(0, 40, 2)
    tables = clouded(data, 13, hidden)  # a February: the month's dip must carry to the hidden ones
    filled, mask = fill_tables(tables)
    assert mask[13, hidden].all() and mask.sum() == len(hidden)
    truth = data.tables[13, hidden, j]
    naive = 0.5 * (data.tables[12, hidden, j] + data.tables[14, hidden, j])
    err_filled = np.abs(filled[13, hidden, j] - truth).mean()
    assert err_filled < 0.3 * np.abs(naive - truth).mean()
    assert np.allclose(filled[13, hidden, FEATURE_COLUMNS.index("observed_fraction")], 1.0)
    # clear rows and clear months are untouched
    assert np.array_equal(filled[:13], data.tables[:13]) and np.array_equal(filled[13, 1::2], data.tables[13, 1::2])


def test_gapfill_leaves_absent_factories_alone():
    data, _ = synthetic(n_months=24, n_factories=40)
    tables = data.tables.copy()
    tables[:10, 5] = 0.0  # listed from month 10 on (a later POI snapshot)
    tables[20:, 6] = 0.0  # dropped by a snapshot at month 20
    filled, mask = fill_tables(tables)
    assert not mask[:, 5].any() and not mask[:, 6].any()
    assert not filled[:10, 5].any() and not filled[20:, 6].any()


def test_gapfill_fills_a_cloudy_last_month_but_not_a_long_gap():
    data, _ = synthetic(n_months=24, n_factories=40)
    tables = clouded(data, 23, np.arange(20))
    tables[3:19, 30] = 0.0  # 16 months missing: longer than max_gap, treated as absent
    filled, mask = fill_tables(tables, max_gap=12)
    assert mask[23, :20].all()
    assert not mask[:, 30].any()


def test_fill_scalars_interpolates_poorly_observed_zones():
    s = np.tile(np.arange(1.0, 9.0), (5, 1)) * np.arange(1.0, 6.0)[:, None]
    s[:, SCALAR_COLUMNS.index("urban_pixels")] = 100.0
    s[:, SCALAR_COLUMNS.index("rural_pixels")] = 200.0
    s[2, SCALAR_COLUMNS.index("urban_pixels")] = 40.0
    s[2, SCALAR_COLUMNS.index("urban_ntl_sum")] = 1.0
    out, mask = fill_scalars(s)
    assert mask.tolist() == [[False, False], [False, False], [True, False], [False, False], [False, False]]
    i = SCALAR_COLUMNS.index("urban_ntl_sum")
    assert out[2, i] == pytest.approx(0.5 * (s[1, i] + s[3, i]))
    assert out[2, SCALAR_COLUMNS.index("urban_pixels")] == 100.0
    assert np.array_equal(out[:, 4:], s[:, 4:])
