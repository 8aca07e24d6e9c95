"""A broken newer file never hides a good older one; a truncated composite names its file; every month lies on
the region's pixel lattice, or the month and the file that differs are named (not the innocent partner)."""

from __future__ import annotations

import numpy as np
import pytest

from sacnn_dagster.geo.grid import Grid
from tests.nightlights.test_composite_reader import AREA, STEM, source, tif_bytes, write_layout

OLD, NEW = "201402101200", "201405191245"


@pytest.fixture
def cut():
    from sacnn_dagster.geo.grid import lattice_window

    grid = lattice_window((121.1, 31.0, 121.4, 31.3))
    return grid, np.full(grid.shape, 3.0, np.float32), np.full(grid.shape, 7, np.uint16)


def write_month(folder, month, grid, radiance, coverage, stamp=OLD):
    """One month's radiance and coverage under EOG names (month as YYYYMM)."""
    m = int(month[4:])
    last = 31 if m in (1, 3, 5, 7, 8, 10, 12) else 30 if m != 2 else 28
    stem = STEM.replace("{m}01-{m}{d}", f"{month}01-{month}{last:02d}").format(stamp=stamp)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stem}.avg_rade9h.tif").write_bytes(tif_bytes(radiance, grid, "float32"))
    (folder / f"{stem}.cf_cvg.tif").write_bytes(tif_bytes(coverage, grid, "uint16"))
    return folder / f"{stem}.avg_rade9h.tif", folder / f"{stem}.cf_cvg.tif"


@pytest.mark.parametrize("damage", ["empty", "truncated"])
def test_a_broken_newer_file_falls_back_to_the_good_older_one_and_is_reported(tmp_path, cut, damage):
    grid, radiance, coverage = cut
    write_layout(tmp_path / "old", "tif", grid, radiance, coverage, stamp=OLD)
    newer, _ = write_month(tmp_path / "new", "201401", grid, radiance * 2, coverage, stamp=NEW)
    data = newer.read_bytes()
    newer.write_bytes(b"" if damage == "empty" else data[: len(data) // 2])
    fetched = source(tmp_path).fetch("2014-01", AREA)
    assert fetched.details["stamp"] == OLD
    assert np.nanmax(fetched.composite.radiance) == 3.0
    assert list(fetched.broken_files) == [f"{tmp_path}/new/{newer.name}"]
    assert newer.name in fetched.details["broken_files_passed_over"]


def test_a_truncated_composite_names_its_file(tmp_path, cut):
    grid, radiance, coverage = cut
    radiance = np.random.default_rng(0).random(grid.shape).astype(np.float32)  # incompressible: a real cut
    rad, _ = write_month(tmp_path, "201401", grid, radiance, coverage)
    rad.write_bytes(rad.read_bytes()[: len(rad.read_bytes()) // 2])
    with pytest.raises(ValueError, match=f"2014-01: no readable composite: .*{rad.name}: cannot be read") as caught:
        source(tmp_path).fetch("2014-01", AREA)
    assert "See previous exception" not in str(caught.value).split(rad.name)[0]


def shifted(grid: Grid) -> Grid:
    return Grid(grid.west + grid.res / 2, grid.north - grid.res / 2, grid.res, grid.width, grid.height)


@pytest.mark.parametrize("which", ["both", "radiance"])
def test_a_month_off_the_regions_lattice_is_refused_naming_the_file_that_differs(tmp_path, cut, which):
    grid, radiance, coverage = cut
    write_month(tmp_path / "a", "201401", grid, radiance, coverage)
    rad, cov = write_month(tmp_path / "b", "201402", grid, radiance, coverage)
    rad.write_bytes(tif_bytes(radiance, shifted(grid), "float32"))
    if which == "both":
        cov.write_bytes(tif_bytes(coverage, shifted(grid), "uint16"))
    src = source(tmp_path)
    assert src.fetch("2014-01", AREA).composite.grid.shape  # the first month is the region's lattice
    with pytest.raises(ValueError, match=f"{rad.name}: not on the region's pixel lattice") as caught:
        src.fetch("2014-02", AREA)
    assert cov.name not in str(caught.value).split(":")[0]
