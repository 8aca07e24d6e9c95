"""The country-sized month's blocked computations give the same bits as the whole-array ones (issue 15)."""

from __future__ import annotations

import numpy as np
import pytest

from sacnn_dagster.features import cleaning, patches
from sacnn_dagster.features.cleaning import box_mean, box_mean_at, clean_ntl
from sacnn_dagster.geo.grid import lattice_window


@pytest.mark.parametrize("block_rows", [1, 3, 64, 512])
def test_box_mean_at_the_pixels_is_box_mean_bit_for_bit(monkeypatch, block_rows):
    monkeypatch.setattr(cleaning, "SAT_BLOCK_ROWS", block_rows)
    rng = np.random.default_rng(block_rows)
    values = (rng.gamma(0.5, 300.0, (700, 230)) - 3.0).astype(np.float32)
    values[rng.random(values.shape) < 0.2] = np.nan
    values[100:110] = np.nan  # a row band with nothing observed
    rows = np.r_[rng.integers(0, 700, 300), 0, 699, 0, 699]
    cols = np.r_[rng.integers(0, 230, 300), 0, 229, 229, 0]
    expected = box_mean(values, 5)[rows, cols]
    assert box_mean_at(values, 5, rows, cols).tobytes() == expected.tobytes()


def test_clean_ntl_replaces_outliers_as_the_whole_raster_mean_did():
    rng = np.random.default_rng(1)
    radiance = (rng.gamma(0.6, 0.8, (300, 200)) - 0.25).astype(np.float32)
    radiance[rng.random(radiance.shape) < 0.01] = 500.0
    coverage = rng.integers(0, 5, radiance.shape).astype(np.float32)
    cleaned = clean_ntl(radiance, coverage)
    expected = radiance.copy()
    expected[coverage == 0] = np.nan
    expected[expected < 0] = 0.0
    outliers = expected > cleaning.OUTLIER_THRESHOLD
    expected[outliers] = box_mean(expected, 5)[outliers].astype(np.float32)
    assert cleaned.outliers_replaced == int(outliers.sum()) > 0
    assert cleaned.radiance.tobytes() == expected.tobytes()


def test_patches_by_blocks_of_factories_are_the_patches_of_all_at_once(monkeypatch):
    rng = np.random.default_rng(3)
    grid = lattice_window((120.86, 30.68, 121.3, 31.0))
    ntl = rng.gamma(1.5, 10.0, grid.shape).astype(np.float32)
    ntl[rng.random(grid.shape) < 0.1] = np.nan
    classes = rng.integers(-1, 12, grid.shape).astype(np.int16)
    w, s, e, n = grid.bounds
    lng, lat = rng.uniform(w - 0.01, e + 0.01, 301), rng.uniform(s - 0.01, n + 0.01, 301)
    monkeypatch.setattr(patches, "FACTORY_BLOCK", 10**9)
    whole = patches.extract_patches(ntl, classes, grid, lng, lat, 1500.0)
    monkeypatch.setattr(patches, "FACTORY_BLOCK", 100)  # three blocks and one factory
    blocked = patches.extract_patches(ntl, classes, grid, lng, lat, 1500.0)
    assert blocked.windows.tobytes() == whole.windows.tobytes()
    assert np.array_equal(blocked.rows, whole.rows) and np.array_equal(blocked.cols, whole.cols)
    for name in patches.FEATURE_COLUMNS:
        assert blocked.features[name].tobytes() == whole.features[name].tobytes(), name


def test_the_patch_column_in_chunks_writes_the_same_file(tmp_path, monkeypatch):
    import pyarrow as pa

    from sacnn_dagster.features import patch_table

    rng = np.random.default_rng(5)
    grid = lattice_window((120.86, 30.68, 121.3, 31.0))
    ntl = rng.gamma(1.5, 10.0, grid.shape).astype(np.float32)
    ntl[rng.random(grid.shape) < 0.1] = np.nan
    classes = np.full(grid.shape, -1, np.int16)
    w, s, e, n = grid.bounds
    lng, lat = rng.uniform(w, e, 3000), rng.uniform(s, n, 3000)
    found = patches.extract_patches(ntl, classes, grid, lng, lat, 1500.0)
    ids = np.array([f"B{i:06d}" for i in range(3000)])
    flat = found.windows.reshape(-1)
    assert patch_table._float32_nan_as_null(flat).equals(pa.array(flat, type=pa.float32(), from_pandas=True))
    monkeypatch.setattr(patch_table, "PATCH_ROWS_PER_CHUNK", 10**9)
    patch_table.write_patch_table(tmp_path / "one.parquet", ids, lng, lat, found, {"month": "2022-06"})
    monkeypatch.setattr(patch_table, "PATCH_ROWS_PER_CHUNK", 1024)
    patch_table.write_patch_table(tmp_path / "chunks.parquet", ids, lng, lat, found, {"month": "2022-06"})
    assert (tmp_path / "one.parquet").read_bytes() == (tmp_path / "chunks.parquet").read_bytes()
