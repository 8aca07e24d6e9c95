"""`nightlights: {source: geotiff}`: any monthly GeoTIFF (here Earth-Engine-style exports of the small demo's
composites) gives the same composites and the same grids as the EOG folder they came from; a month off the
first month's lattice is refused naming the file, the month and what differs; the schema refuses a pattern
without {YYYY} or {MM}; a re-exported month gets a new version (its content's sha256) and the nightlight sensor
reruns that month alone."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import dagster as dg
import numpy as np
import pytest
import yaml

from sacnn_dagster.cli.run import run_region
from sacnn_dagster.config.bad_input import BadInput
from sacnn_dagster.config.nightlight_settings import NightlightSettings
from sacnn_dagster.config.pools import download_pool
from sacnn_dagster.config.region import load_region
from sacnn_dagster.defs.code_location import build_definitions
from sacnn_dagster.defs.resources import CredentialsResource, RegionResource
from sacnn_dagster.geo.grid import Grid
from sacnn_dagster.nightlights.geotiff_source import GeoTiffSource, LatticeMismatch, pattern_regex
from sacnn_dagster.nightlights.preflight import RegionInputError, check_region
from tests.nightlights.geotiff_exports import MARGIN_VALUE, brighter, geotiff_region, rewrite
from tests.test_sensors import evaluate, report_built, stretches


def resource(region: Path) -> RegionResource:
    return RegionResource(path=str(region), credentials=CredentialsResource())


@pytest.fixture(scope="module")
def exported(small_demo_region, tmp_path_factory) -> Path:
    """The small demo with its night lights as `YYYY-MM.tif` two-band exports (read-only: copy to change)."""
    return geotiff_region(small_demo_region, tmp_path_factory.mktemp("geotiff") / "region")


@pytest.fixture
def region(exported, tmp_path) -> Path:
    copy = tmp_path / "region"
    shutil.copytree(exported, copy)
    return copy


# --- the same composites and grids as from the EOG folder ------------------------------------------------


def test_every_month_reads_as_from_the_eog_folder(small_demo_region, exported):
    eog, tif = resource(small_demo_region), resource(exported)
    assert isinstance(tif.nightlights, GeoTiffSource)
    months = list(eog.nightlights.available_months())
    assert list(tif.nightlights.available_months()) == months
    for month in months:
        a = eog.nightlights.fetch(month, eog.boundary)
        b = tif.nightlights.fetch(month, tif.boundary)
        assert a.composite.grid == b.composite.grid
        assert a.composite.radiance.tobytes() == b.composite.radiance.tobytes(), month
        assert a.composite.coverage.tobytes() == b.composite.coverage.tobytes(), month
        assert not np.isin(MARGIN_VALUE, b.composite.radiance)  # the export's margin is never read
        assert b.details["radiance_band"] == "1 (avg_rad)" and b.details["coverage_band"] == "2 (cf_cvg)"
        assert b.version == f"{month}.tif sha256:{b.details['sha256'][:16]}"


def test_the_pipeline_on_the_exports_gives_the_eog_grids(exported, materialized_small_demo, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        report = run_region(exported, storage_root=str(tmp_path / "out"), instance=instance, echo=lambda _: None)
    assert report.ok, report.failures
    months = materialized_small_demo.months_estimated
    assert report.months_estimated == months
    compared = 0
    for asset in ("ntl_clean", "gvio_grid"):
        theirs = sorted((materialized_small_demo.storage / asset).glob("*.tif"))
        assert len(theirs) >= len(months)
        for file in theirs:
            assert (tmp_path / "out" / asset / file.name).read_bytes() == file.read_bytes(), f"{asset}/{file.name}"
            compared += 1
    assert compared >= 2 * len(months)


def test_bands_by_number_and_without_coverage(exported, tmp_path):
    region = tmp_path / "region"
    shutil.copytree(exported, region)
    spec = yaml.safe_load((region / "region.yaml").read_text())
    spec["nightlights"] = {"source": "geotiff", "url": "ee-exports", "radiance_band": 1}
    (region / "region.yaml").write_text(yaml.safe_dump(spec))
    res = resource(region)
    fetched = res.nightlights.fetch("2020-01", res.boundary)
    assert np.isnan(fetched.composite.coverage).all() and np.isfinite(fetched.composite.radiance).any()
    assert fetched.details["coverage_band"] == "none"
    spec["nightlights"]["coverage_band"] = "cloud_free"
    (region / "region.yaml").write_text(yaml.safe_dump(spec))
    res = resource(region)
    with pytest.raises(ValueError, match=r"2020-01: .*2020-01.tif: no band 'cloud_free' .*1 'avg_rad', 2 'cf_cvg'"):
        res.nightlights.fetch("2020-01", res.boundary)


def test_pattern_with_subfolders_and_a_wildcard():
    regex = pattern_regex("{YYYY}/VNL_{YYYY}{MM}_*.tif")
    m = regex.fullmatch("2020/VNL_202003_crop-by-li.tif")
    assert m and (m["YYYY"], m["MM"]) == ("2020", "03")
    assert not regex.fullmatch("2021/VNL_202003_x.tif") and not regex.fullmatch("2020/VNL_202003_x/y.tif")


# --- a month off the first month's lattice; the schema --------------------------------------------------


@pytest.mark.parametrize(
    "change, words",
    [
        (
            lambda g, r, c, crs: (Grid(g.west + g.res / 2, g.north, g.res, g.width, g.height), r, c, crs),
            "origin offset by 0.5000 columns and 0.0000 rows",
        ),
        (
            lambda g, r, c, crs: (Grid(g.west, g.north, g.res * 1.01, g.width, g.height), r, c, crs),
            'resolution 0.004208333 x 0.004208333 degrees (15.1500" x 15.1500"), not 0.004166667',
        ),
        (lambda g, r, c, crs: (g, r, c, "EPSG:4490"), "CRS EPSG:4490, not EPSG:4326"),
    ],
    ids=["origin", "resolution", "crs"],
)
def test_a_month_off_the_first_months_lattice_is_named(region, change, words):
    rewrite(region / "ee-exports" / "2020-06.tif", change)
    res = resource(region)
    first = f"(2019-07: {region / 'ee-exports' / '2019-07.tif'})"
    shown = region / "ee-exports" / "2020-06.tif"
    expected = f"2020-06: {shown} is not on the pixel lattice of the region's first month {first}: {words}"
    with pytest.raises(RegionInputError) as caught:
        check_region(res.nightlights, res.boundary.bounds, list(res.nightlights.available_months()))
    assert str(caught.value).startswith(expected)
    with pytest.raises(LatticeMismatch) as caught:
        res.nightlights.fetch("2020-06", res.boundary)
    assert str(caught.value).startswith(expected)
    res.nightlights.fetch("2020-05", res.boundary)  # the other months are read as they are


def test_a_first_month_on_another_15_arcsecond_lattice_is_the_regions(region):
    """Every month shifted by a third of a pixel (an export on its own grid): the first month's lattice rules."""
    for path in sorted((region / "ee-exports").glob("*.tif")):
        rewrite(
            path,
            lambda g, r, c, crs: (Grid(g.west + g.res / 3, g.north - g.res / 3, g.res, g.width, g.height), r, c, crs),
        )
    res = resource(region)
    check_region(res.nightlights, res.boundary.bounds, list(res.nightlights.available_months()))
    fetched = res.nightlights.fetch("2020-06", res.boundary)
    assert np.isfinite(fetched.composite.radiance).any()


@pytest.mark.parametrize(
    "nightlights, words",
    [
        ({"source": "geotiff", "pattern": "{YYYY}.tif"}, "pattern '{YYYY}.tif' must contain {MM}"),
        ({"source": "geotiff", "pattern": "{YYYY}-{M}.tif"}, "must contain {MM}"),
        ({"source": "geotiff", "radiance_band": 0}, "radiance_band must be a band description or a band number"),
        ({"source": "geotiff", "coverage_bnd": "cf_cvg"}, "coverage_bnd (did you mean coverage_band?)"),
        ({"source": "eog", "pattern": "{YYYY}-{MM}.tif"}, "pattern: for source geotiff only, not eog"),
    ],
)
def test_the_schema_refuses(region, nightlights, words):
    spec = yaml.safe_load((region / "region.yaml").read_text())
    spec["nightlights"] = nightlights
    (region / "region.yaml").write_text(yaml.safe_dump(spec))
    with pytest.raises(BadInput) as caught:
        load_region(region)
    assert words in str(caught.value)


# --- a re-exported month reruns alone --------------------------------------------------------------------


def test_a_re_exported_month_gets_a_new_version_and_reruns_alone(region, instance, tmp_path):
    defs = build_definitions(region, str(tmp_path / "out"))
    versions = resource(region).nightlights.available_months()
    report_built(instance, "ntl_composite", list(versions), lambda m: {"version": versions[m]})
    first = evaluate(defs, "nightlight_sensor", instance, region)
    assert not first.run_requests  # a materialized region starts nothing

    path = region / "ee-exports" / "2021-02.tif"

    rewrite(path, brighter)
    result = evaluate(defs, "nightlight_sensor", instance, region, cursor=first.cursor)
    (request,) = result.run_requests
    assert stretches([request]) == [("2021-02", "2021-02")]
    new = resource(region).nightlights.available_months()
    assert new["2021-02"] != versions["2021-02"] and new["2021-02"] in request.run_key
    assert {m: v for m, v in new.items() if m != "2021-02"} == {m: v for m, v in versions.items() if m != "2021-02"}

    # touched, or written again with the same content: nothing
    os.utime(path)
    shutil.copy(path, tmp_path / "same.tif")
    shutil.copy(tmp_path / "same.tif", path)
    assert not evaluate(defs, "nightlight_sensor", instance, region, cursor=result.cursor).run_requests


def test_a_local_export_folder_downloads_nothing_and_a_bucket_has_its_pool():
    assert download_pool(NightlightSettings(source="geotiff", url="ee-exports")) is None
    assert download_pool(NightlightSettings(source="geotiff")) is None
    assert (
        download_pool(NightlightSettings(source="geotiff", url="s3://viirs-exports/pearl"))
        == "download_s3_viirs_exports"
    )


def test_exports_under_an_s3_prefix_read_and_version_as_in_a_folder(exported, s3_bucket, tmp_path, monkeypatch):
    """The same files under s3:// (moto): the same months, versions (the content's sha256) and composites; an
    object uploaded again with other content gets a new version, the others keep theirs."""
    monkeypatch.setenv("SACNN_CACHE", str(tmp_path / "cache"))
    s3_bucket.upload(exported / "ee-exports", "exports/pearl")
    region = tmp_path / "region"
    shutil.copytree(exported, region, ignore=shutil.ignore_patterns("ee-exports"))
    spec = yaml.safe_load((region / "region.yaml").read_text())
    spec["nightlights"] = {**spec["nightlights"], "url": s3_bucket.url("exports/pearl")}
    spec["s3_endpoint_url"] = s3_bucket.endpoint_url
    (region / "region.yaml").write_text(yaml.safe_dump(spec))
    local, remote = resource(exported), resource(region)
    versions = local.nightlights.available_months()
    assert remote.nightlights.available_months() == versions
    for month in ("2019-07", "2021-02"):
        a, b = local.nightlights.fetch(month, local.boundary), remote.nightlights.fetch(month, remote.boundary)
        assert a.composite.radiance.tobytes() == b.composite.radiance.tobytes()
        assert b.source_files == [f"{s3_bucket.url('exports/pearl')}/{month}.tif"] and b.version == versions[month]
    check_region(remote.nightlights, remote.boundary.bounds, list(versions))  # headers of remote files: not read

    copy = tmp_path / "2021-02.tif"
    shutil.copy(exported / "ee-exports" / "2021-02.tif", copy)
    rewrite(copy, brighter)
    s3_bucket.fs.put_file(str(copy), f"{s3_bucket.name}/exports/pearl/2021-02.tif")
    remote.nightlights.forget_listings()
    new = remote.nightlights.available_months()
    assert new["2021-02"] != versions["2021-02"]
    assert {m: v for m, v in new.items() if m != "2021-02"} == {m: v for m, v in versions.items() if m != "2021-02"}


def test_a_local_export_folder_is_looked_at_as_often_as_a_local_eog_folder(exported, tmp_path, monkeypatch):
    from sacnn_dagster.defs.automation.settings import INTERVAL_ENV, LOCAL_INTERVAL_S

    monkeypatch.delenv(INTERVAL_ENV, raising=False)
    sensor = build_definitions(exported, str(tmp_path / "out")).resolve_sensor_def("nightlight_sensor")
    assert sensor.minimum_interval_seconds == LOCAL_INTERVAL_S  # a folder is cheap to look at; a server is not
