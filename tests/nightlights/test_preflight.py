"""The region checked as a whole before any month runs (names and headers only): a boundary away from every
composite, and a month off the region's pixel lattice, are refused naming the extents, the month and the file."""

from __future__ import annotations

import time

import pytest
import shapely

from sacnn_dagster.nightlights.preflight import RegionInputError, check_region
from tests.nightlights.test_broken_and_shifted import cut, shifted, write_month  # noqa: F401 (a fixture)
from tests.nightlights.test_composite_reader import AREA, source, tif_bytes


def test_a_consistent_region_passes_in_milliseconds(tmp_path, cut):  # noqa: F811
    grid, radiance, coverage = cut
    for month in ("201401", "201402", "201403"):
        write_month(tmp_path / month, month, grid, radiance, coverage)
    src = source(tmp_path)
    started = time.perf_counter()
    check_region(src, AREA.bounds, list(src.available_months()))
    assert time.perf_counter() - started < 1


def test_a_boundary_far_from_every_composite_names_both_extents(tmp_path, cut):  # noqa: F811
    grid, radiance, coverage = cut
    write_month(tmp_path, "201401", grid, radiance, coverage)
    for far in (shapely.box(31.1, 121.2, 31.2, 121.3), shapely.box(125.0, 40.0, 125.1, 40.1)):  # swapped; elsewhere
        src = source(tmp_path)
        src.aoi_bounds = far.bounds
        with pytest.raises(RegionInputError) as caught:
            check_region(src, far.bounds, list(src.available_months()))
        message = str(caught.value)
        assert f"boundary (lon {far.bounds[0]:.4f}..{far.bounds[2]:.4f}" in message
        assert f"together lon {grid.west:.4f}.." in message and str(tmp_path) in message


@pytest.mark.parametrize("which", ["both", "radiance"])
def test_a_shifted_month_is_named_with_the_file_that_differs(tmp_path, cut, which):  # noqa: F811
    grid, radiance, coverage = cut
    write_month(tmp_path / "a", "201401", grid, radiance, coverage)
    rad, cov = write_month(tmp_path / "b", "201402", grid, radiance, coverage)
    write_month(tmp_path / "c", "201403", grid, radiance, coverage)
    rad.write_bytes(tif_bytes(radiance, shifted(grid), "float32"))
    if which == "both":
        cov.write_bytes(tif_bytes(coverage, shifted(grid), "uint16"))
    src = source(tmp_path)
    with pytest.raises(RegionInputError) as caught:
        check_region(src, AREA.bounds, list(src.available_months()))
    lines = str(caught.value).splitlines()
    named = [line.split(": ")[1].rsplit("/", 1)[-1] for line in lines]
    assert all(line.startswith("2014-02: ") for line in lines)
    assert named == ([rad.name, cov.name] if which == "both" else [rad.name])
    assert "201401" in lines[0].split("that of ")[1]  # the region's lattice: its first month's


def test_the_command_refuses_a_boundary_far_from_every_composite_before_writing(
    small_demo_region, tmp_path, monkeypatch
):
    """The case that exited 0 with "0 with a composite": longitude and latitude swapped in boundary.geojson."""
    import contextlib
    import io
    import shutil

    import geopandas as gpd
    from shapely.ops import transform

    from sacnn_dagster.cli.main import main

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    region = tmp_path / "region"
    shutil.copytree(small_demo_region, region)
    boundary = gpd.read_file(region / "boundary.geojson")
    boundary.geometry = boundary.geometry.map(lambda g: transform(lambda x, y: (y, x), g))
    boundary.to_file(region / "boundary.geojson", driver="GeoJSON")
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["run", "--region", str(region), "--storage", str(tmp_path / "out")])
    assert code == 2, err.getvalue()
    assert "overlaps none of the night-light composites" in err.getvalue()
    assert not [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
