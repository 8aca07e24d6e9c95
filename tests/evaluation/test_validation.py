"""The grid against the region's validation files: a larger true grid on our lattice is windowed, one on
another lattice summed onto ours, and a file that cannot be compared is named, not fatal."""

import numpy as np
import pandas as pd
import pytest

from sacnn_dagster.defs.evaluation.grid_validation import grid_scores, grid_validation
from sacnn_dagster.defs.resources.local_storage import LocalOutputStorage
from sacnn_dagster.evaluation.validation import ValidationDataError
from sacnn_dagster.geo.cog import write_cog
from sacnn_dagster.geo.grid import EOG_ORIGIN, Grid, lattice_window
from sacnn_dagster.io.layout import month_file

RES = 1.0 / 240.0
MONTHS = ["2021-01", "2021-02"]


@pytest.fixture
def stored(tmp_path):
    """Two months of stored grids (a noisy copy of the truth), the true grids on a tile 9 pixels larger on
    every side, and the region's validation folder, empty."""
    grid = lattice_window((121.2, 31.0, 121.3, 31.08), EOG_ORIGIN, RES)
    tile = Grid(grid.west - 9 * RES, grid.north + 9 * RES, RES, grid.width + 18, grid.height + 18)
    storage = LocalOutputStorage(root=str(tmp_path / "out"))
    rng = np.random.default_rng(3)
    truths = {}
    for month in MONTHS:
        truth = rng.gamma(1.5, size=tile.shape).astype(np.float32)
        estimate = truth[9:-9, 9:-9] * rng.normal(1.0, 0.3, size=grid.shape)
        with storage.writing(month_file("gvio_grid", month)) as tmp:
            write_cog(tmp, [estimate], grid, ["gvio"])
        truths[month] = truth
    validation = tmp_path / "validation"
    (validation / "grid").mkdir(parents=True)
    return storage, grid, tile, truths, validation


def test_a_larger_true_grid_on_our_lattice_scores_as_the_cropped_one(stored):
    storage, grid, tile, truths, validation = stored
    for month, truth in truths.items():
        write_cog(validation / "grid" / f"{month}.tif", [truth[9:-9, 9:-9]], grid, ["gvio"])
    cropped = grid_validation(storage, MONTHS, validation / "grid")
    for month, truth in truths.items():
        write_cog(validation / "grid" / f"{month}.tif", [truth], tile, ["gvio"])
    windowed = grid_validation(storage, MONTHS, validation / "grid")
    assert windowed["read_as"] == ["window"] and windowed["months"] == 2
    assert 0.5 < cropped["r2"] < 0.99
    assert windowed["r2"] == cropped["r2"]
    assert windowed["median_monthly_r2"] == cropped["median_monthly_r2"]


def test_a_true_grid_on_another_lattice_is_summed_onto_ours(stored):
    """A true grid twice as fine (another lattice, larger extent): each of our pixels is the sum of the four
    fine pixels it holds, so the score is the cropped truth's."""
    storage, grid, tile, truths, validation = stored
    fine = Grid(tile.west, tile.north, RES / 2, tile.width * 2, tile.height * 2)
    for month, truth in truths.items():
        split = np.kron(truth, np.full((2, 2), 0.25, dtype=np.float32))  # each pixel in four, total kept
        write_cog(validation / "grid" / f"{month}.tif", [split], fine, ["gvio"])
    summed = grid_validation(storage, MONTHS, validation / "grid")
    for month, truth in truths.items():
        write_cog(validation / "grid" / f"{month}.tif", [truth[9:-9, 9:-9]], grid, ["gvio"])
    cropped = grid_validation(storage, MONTHS, validation / "grid")
    assert summed["read_as"] == ["summed"]
    assert summed["r2"] == pytest.approx(cropped["r2"], abs=1e-6)


def test_a_corrupt_true_grid_is_an_error_naming_it(stored):
    storage, _, _, _, validation = stored
    bad = validation / "grid" / "2021-02.tif"
    bad.write_bytes(b"II*\x00 not a tiff")
    with pytest.raises(ValidationDataError, match=str(bad)) as raised:
        grid_validation(storage, MONTHS, validation / "grid")
    assert raised.value.path == bad


def test_grid_scores_record_a_bad_file_beside_the_scores_that_stand(stored):
    storage, grid, _, truths, validation = stored
    for month, truth in truths.items():
        write_cog(validation / "grid" / f"{month}.tif", [truth[9:-9, 9:-9]], grid, ["gvio"])
    (validation / "district_gvio_annual.csv").write_text("year;district;gvio\n2021;A;1.0\n")
    with storage.writing(month_file("gvio_by_district", "2021-01")) as tmp:
        pd.DataFrame({"district": ["A"], "gvio": [1.0]}).to_parquet(tmp)
    bad = validation / "grid" / "2021-02.tif"
    bad.write_bytes(b"II*\x00 not a tiff")
    alone = grid_validation(storage, MONTHS[:1], validation / "grid")
    scores = grid_scores(storage, MONTHS, validation)
    assert scores["true_grid"]["months"] == 1 and scores["r2_vs_true_grid"] == alone["r2"] > 0.5
    assert scores["r2_vs_district"] is None
    grid_problem, district_problem = scores["problems"]
    assert str(bad) in grid_problem and "not a readable GeoTIFF" in grid_problem
    assert str(validation / "district_gvio_annual.csv") in district_problem
    assert "no column(s) year, district, gvio" in district_problem
