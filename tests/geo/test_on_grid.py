"""Rasters made by others, read onto our grid: windowed on the same lattice, summed (totals kept) from
another, refused when they cannot be compared."""

import numpy as np
import pytest
import rasterio
from rasterio.crs import CRS

from sacnn_dagster.geo.grid import EOG_ORIGIN, Grid, lattice_window
from sacnn_dagster.geo.on_grid import read_on_grid
from sacnn_dagster.geo.regrid import sum_onto

RES = 1.0 / 240.0


def write(path, values, grid: Grid, crs="EPSG:4326", nodata=None):
    profile = dict(
        driver="GTiff",
        width=grid.width,
        height=grid.height,
        count=1,
        dtype="float32",
        crs=CRS.from_string(crs),
        transform=grid.transform,
        nodata=nodata,
    )
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values.astype(np.float32), 1)
    return path


@pytest.fixture
def ours() -> Grid:
    return lattice_window((121.2, 31.0, 121.3, 31.08), EOG_ORIGIN, RES)


def test_a_larger_extent_on_the_same_lattice_is_read_by_window(tmp_path, ours):
    tile = Grid(
        west=ours.west - 7 * RES, north=ours.north + 5 * RES, res=RES, width=ours.width + 20, height=ours.height + 11
    )
    values = np.random.default_rng(1).gamma(2.0, size=tile.shape)
    data, how = read_on_grid(write(tmp_path / "tile.tif", values, tile), ours)
    assert how == "window"
    expected = values[5 : 5 + ours.height, 7 : 7 + ours.width].astype(np.float32)
    np.testing.assert_array_equal(data, expected)


def test_a_window_beyond_the_file_and_its_nodata_are_nan(tmp_path, ours):
    part = Grid(west=ours.west + 3 * RES, north=ours.north, res=RES, width=ours.width, height=ours.height)
    values = np.ones(part.shape)
    values[0, 0] = -1.0
    data, how = read_on_grid(write(tmp_path / "part.tif", values, part, nodata=-1.0), ours)
    assert how == "window"
    assert np.isnan(data[:, :3]).all() and np.isnan(data[0, 3])
    # the file's last 3 columns lie east of ours; its one nodata pixel counts for nothing
    assert np.nansum(data) == (ours.width - 3) * ours.height - 1


@pytest.mark.parametrize("res", [RES * 0.37, RES * 1.3, RES * 2.0])
def test_another_lattice_is_summed_onto_ours_keeping_the_total(tmp_path, ours, res):
    # an offset lattice covering ours with a margin: every one of its pixels inside ours lands on ours
    west, south, east, north = ours.bounds
    other = lattice_window((west - 3 * res, south - 3 * res, east + 3 * res, north + 3 * res), (0.123, 45.0), res)
    rng = np.random.default_rng(2)
    values = np.zeros(other.shape)
    lng, lat = other.pixel_centres()
    inside = ((lng > west + res) & (lng < east - res))[None, :] & ((lat > south + res) & (lat < north - res))[:, None]
    values[inside] = rng.gamma(2.0, size=inside.sum())
    data, how = read_on_grid(write(tmp_path / "other.tif", values, other), ours)
    assert how == "summed"
    assert data.shape == ours.shape
    assert data.sum() == pytest.approx(values.astype(np.float32).astype(np.float64).sum(), rel=1e-9)


def test_half_a_pixel_off_splits_each_pixel_in_four():
    src = Grid(west=10.0, north=20.0, res=1.0, width=3, height=3)
    dst = Grid(west=10.5, north=19.5, res=1.0, width=2, height=2)
    values = np.zeros(src.shape)
    values[1, 1] = 8.0
    np.testing.assert_allclose(sum_onto(values, src, dst), np.full((2, 2), 2.0))


def test_a_finer_grid_shares_a_pixel_by_area_and_nodata_spreads_to_what_it_touches():
    src = Grid(west=0.0, north=2.0, res=1.0, width=2, height=2)
    dst = Grid(west=0.0, north=2.0, res=0.5, width=4, height=4)
    values = np.array([[4.0, np.nan], [8.0, 12.0]])
    out = sum_onto(values, src, dst)
    np.testing.assert_allclose(out[:2, :2], 1.0)
    assert np.isnan(out[:2, 2:]).all()
    np.testing.assert_allclose(out[2:, :2], 2.0)
    np.testing.assert_allclose(out[2:, 2:], 3.0)


def test_another_crs_or_no_overlap_is_refused(tmp_path, ours):
    values = np.ones(ours.shape)
    with pytest.raises(ValueError, match="EPSG:3857"):
        read_on_grid(write(tmp_path / "merc.tif", values, ours, crs="EPSG:3857"), ours)
    away = Grid(west=ours.west + 1.0, north=ours.north, res=RES, width=ours.width, height=ours.height)
    with pytest.raises(ValueError, match="none of the grid"):
        read_on_grid(write(tmp_path / "away.tif", values, away), ours)
