"""The whole pipeline on the small demo region with its inputs behind real servers on loopback gives the
same grids, byte for byte, as from the local folder; and no secret shows up anywhere: not in the run's
output, the Dagster instance (event log, metadata, run config), the outputs, nor in the error of a run
refused for bad credentials.

- EOG over HTTPS behind a token (tiled layout), POI snapshots from an HTTP index, outputs on local disk;
- everything on S3 (moto in its own process): composites, POIs, statistics, and every output;
- NASA Black Marble VNP46A3 HDF5 tiles from a LAADS-like server behind a bearer token. Black Marble pixels
  sit on another lattice than EOG's (edges on round degrees), so this comparison uses a demo region built
  on that lattice, whose composites are re-published as tiles.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import dagster as dg
import numpy as np
import pytest
import rasterio
import shapely
import yaml
from black_marble_files import TileSpec, write_tile

from sacnn_dagster.cli.run import RunReport, run_region
from sacnn_dagster.config.region import load_region
from sacnn_dagster.demo import DemoSpec, make_demo_region
from sacnn_dagster.geo.grid import BLACK_MARBLE_ORIGIN, EOG_RES
from sacnn_dagster.io.download import AuthenticationError
from sacnn_dagster.io.input_folder import LocalFolder
from sacnn_dagster.nightlights.black_marble_tiles import TILE_PIXELS, month_doy
from sacnn_dagster.nightlights.source import EogNamedSource
from tests.servers.eog import TOKEN_PATH, TreeServer, eog_tree
from tests.servers.laads import LaadsServer
from tests.servers.s3 import SECRET_KEY

TOKEN = "eog-token-4b1e9f0c2d7a"
EARTHDATA_TOKEN = "earthdata-token-93ad7e51"
PASSWORD = "pw-6c2f81d0e9"


def run_pipeline(region: Path, storage_root: str, home: Path, lines: list[str]) -> RunReport:
    home.mkdir(parents=True)
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        return run_region(region, storage_root=storage_root, instance=instance, echo=lines.append)


def region_copy(source: Path, target: Path, drop: tuple[str, ...], **settings) -> Path:
    """The region with some input folders removed (so they cannot be read locally by mistake) and
    region.yaml pointing at the remote locations instead."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*drop))
    spec = yaml.safe_load((target / "region.yaml").read_text())
    (target / "region.yaml").write_text(yaml.safe_dump({**spec, **settings}))
    return target


def grids(read, months: list[str]) -> dict[str, bytes]:
    return {m: read(f"gvio_grid/{m}.tif") for m in months}


def assert_nowhere(secret: str, *, folders: list[Path], texts: list[str]) -> None:
    """The secret is in no file below the folders (the instance's SQLite databases and logs, the outputs)
    and in none of the texts."""
    needle = secret.encode()
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file():
                assert needle not in path.read_bytes(), f"secret found in {path}"
    for text in texts:
        assert secret not in text


def instance_texts(home: Path) -> list[str]:
    """Run configs, tags and every event (with metadata) of every run, as text."""
    out = []
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for run in instance.get_runs():
            out.append(json.dumps(run.run_config, default=str) + json.dumps(run.tags))
            out.extend(str(record) for record in instance.all_logs(run.run_id))
    assert len(out) > 10
    return out


@pytest.fixture(scope="module")
def local_run(materialized_small_demo):
    """The reference: the region from its own folder, outputs on local disk."""
    return materialized_small_demo.storage, materialized_small_demo.months_estimated


def test_eog_over_https_with_a_token_gives_the_local_grids(small_demo_region, local_run, tmp_path, monkeypatch, capfd):
    files = {
        **eog_tree(small_demo_region / "nightlights"),
        **{f"pois/{p.name}": p.read_bytes() for p in (small_demo_region / "pois").iterdir()},
    }
    with TreeServer(files, protected="nighttime_light", tokens=(TOKEN,), users={"alice": PASSWORD}) as server:
        region = region_copy(
            small_demo_region,
            tmp_path / "region",
            ("nightlights", "pois"),
            nightlights={"source": "eog", "url": f"{server.url}/nighttime_light"},
            pois=f"{server.url}/pois/",
        )
        monkeypatch.setenv("SACNN_CACHE", str(tmp_path / "cache"))
        monkeypatch.setenv("EOG_TOKEN", TOKEN)
        lines: list[str] = []
        report = run_pipeline(region, str(tmp_path / "out"), tmp_path / "home", lines)
        assert report.ok, report.failures
        # only the area's tile was downloaded, once per month: never another tile or configuration
        downloads = server.downloads()
        assert downloads and all("75N060E_vcmcfg" in d or d.startswith("/pois/") for d in downloads)

        local_out, months = local_run
        assert report.months_estimated == months
        assert grids(lambda k: (tmp_path / "out" / k).read_bytes(), months) == grids(
            lambda k: (local_out / k).read_bytes(), months
        )

        # a password grant with a wrong password: refused before any run starts, naming the variables
        monkeypatch.delenv("EOG_TOKEN")
        monkeypatch.setenv("EOG_USERNAME", "alice")
        monkeypatch.setenv("EOG_PASSWORD", PASSWORD + "-wrong")
        monkeypatch.setenv("EOG_TOKEN_URL", server.url + TOKEN_PATH)
        monkeypatch.setenv("SACNN_CACHE", str(tmp_path / "empty-cache"))
        with pytest.raises(AuthenticationError) as refused:
            run_pipeline(region, str(tmp_path / "out2"), tmp_path / "home2", lines)
    message = str(refused.value)
    assert "EOG_USERNAME" in message and "EOG_PASSWORD" in message
    captured = capfd.readouterr()
    texts = [*lines, message, captured.out, captured.err, *instance_texts(tmp_path / "home")]
    for secret in (TOKEN, PASSWORD):
        assert_nowhere(secret, folders=[tmp_path / "home", tmp_path / "home2", tmp_path / "out"], texts=texts)


def test_everything_on_s3_gives_the_local_grids(small_demo_region, local_run, s3_bucket, tmp_path, monkeypatch, capfd):
    for folder in ("nightlights", "pois", "statistics"):
        s3_bucket.upload(small_demo_region / folder, f"inputs/{folder}")
    region = region_copy(
        small_demo_region,
        tmp_path / "region",
        ("nightlights", "pois", "statistics"),
        nightlights={"source": "s3", "url": s3_bucket.url("inputs/nightlights")},
        pois=s3_bucket.url("inputs/pois"),
        statistics=s3_bucket.url("inputs/statistics/gvio_monthly.csv"),
        s3_endpoint_url=s3_bucket.endpoint_url,
    )
    monkeypatch.setenv("SACNN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("SACNN_S3_ENDPOINT_URL", s3_bucket.endpoint_url)
    lines: list[str] = []
    report = run_pipeline(region, s3_bucket.url("out"), tmp_path / "home", lines)
    assert report.ok, report.failures
    assert set(report.evaluation["models"]) >= {"sacnn", "random_forest", "linear"}  # read back from S3

    # every output landed on S3 in the same layout as on local disk, and nothing locally
    local_out, months = local_run
    local_keys = sorted(p.relative_to(local_out).as_posix() for p in local_out.rglob("*") if p.is_file())
    assert [k[len("out/") :] for k in s3_bucket.keys("out")] == local_keys
    assert not (tmp_path / "region" / "sacnn-output").exists()
    assert grids(lambda k: s3_bucket.fs.cat_file(f"{s3_bucket.name}/out/{k}"), months) == grids(
        lambda k: (local_out / k).read_bytes(), months
    )

    captured = capfd.readouterr()
    texts = [*lines, captured.out, captured.err, *instance_texts(tmp_path / "home")]
    assert_nowhere(SECRET_KEY, folders=[tmp_path / "home"], texts=texts)


def publish_as_black_marble(region: Path, archive: Path) -> int:
    """Every month's composite, as the local source chooses it, written as a collection-2 VNP46A3 tile
    (radiance into NearNadir_Composite_Snow_Free, cf_cvg into its _Num) under LAADS' folder layout."""
    cfg = load_region(region)
    boundary = shapely.union_all([shapely.from_geojson((region / "boundary.geojson").read_text())])
    source = EogNamedSource(LocalFolder(region / "nightlights"), cfg.satellites, cfg.configs, boundary.bounds)
    months = source.available_months()
    for month in months:
        composite = source.fetch(month, boundary.buffer(0.05)).composite
        row = round((BLACK_MARBLE_ORIGIN[1] - composite.grid.north) / EOG_RES)
        col = round((composite.grid.west - BLACK_MARBLE_ORIGIN[0]) / EOG_RES)
        v, h = row // TILE_PIXELS, col // TILE_PIXELS
        assert (row + composite.grid.height - 1) // TILE_PIXELS == v, "the demo must fit in one tile"
        year, doy = month_doy(month)
        block = (row - v * TILE_PIXELS, col - h * TILE_PIXELS, composite.radiance, composite.coverage)
        write_tile(archive / f"{year}" / f"{doy}", TileSpec(h, v, year=year, doy=int(doy), block=block))
    return len(months)


@pytest.fixture(scope="module")
def black_marble_region(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("regions") / "demo-small-black-marble"
    make_demo_region(root, dataclasses.replace(DemoSpec.small(), lattice_origin=BLACK_MARBLE_ORIGIN))
    return root


def test_black_marble_tiles_give_the_local_grids(black_marble_region, tmp_path, monkeypatch, capfd):
    reference = run_pipeline(black_marble_region, str(tmp_path / "local"), tmp_path / "home-local", [])
    assert reference.ok, reference.failures

    root = tmp_path / "laads"
    n_months = publish_as_black_marble(black_marble_region, root / "archive/allData/5200/VNP46A3")
    with LaadsServer(root, EARTHDATA_TOKEN) as server:
        region = region_copy(
            black_marble_region,
            tmp_path / "region",
            ("nightlights",),
            nightlights={"source": "blackmarble", "url": server.archive_url()},
        )
        monkeypatch.setenv("SACNN_CACHE", str(tmp_path / "cache"))
        monkeypatch.setenv("EARTHDATA_TOKEN", EARTHDATA_TOKEN)
        lines: list[str] = []
        report = run_pipeline(region, str(tmp_path / "out"), tmp_path / "home", lines)
        assert report.ok, report.failures
        assert len(server.downloads()) == n_months and set(server.downloads().values()) == {1}

    # the same pixels in every grid; only the provenance differs (the model version hashes the inputs'
    # source versions too, so the grids' `model_version` tags differ)
    months = reference.months_estimated
    assert report.months_estimated == months and len(months) == n_months
    for month in months:
        with (
            rasterio.open(tmp_path / "out" / f"gvio_grid/{month}.tif") as got,
            rasterio.open(tmp_path / "local" / f"gvio_grid/{month}.tif") as want,
        ):
            np.testing.assert_array_equal(got.read(), want.read())
            assert got.transform.almost_equals(want.transform, precision=1e-9)
    captured = capfd.readouterr()
    texts = [*lines, captured.out, captured.err, *instance_texts(tmp_path / "home")]
    assert_nowhere(EARTHDATA_TOKEN, folders=[tmp_path / "home", tmp_path / "out"], texts=texts)
