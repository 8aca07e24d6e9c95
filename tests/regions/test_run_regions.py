"""`run --regions` and `status --regions`: three small generated regions with different month ranges, built by
one command into `<storage>/<region name>/`, each in its own instance; a bad region folder beside them is
named and fails the exit status without stopping the others."""

from __future__ import annotations

import dataclasses
import io
from contextlib import redirect_stdout
from pathlib import Path

import pandas as pd
import pytest

from sacnn_dagster.cli.main import main
from sacnn_dagster.demo import DemoSpec, make_demo_region

#: Folder name: (region name, first month, last month). Smaller than the small demo to keep the test short.
REGIONS = {
    "alpha": ("city-alpha", "2019-07", "2021-12"),
    "beta": ("city-beta", "2019-10", "2021-12"),
    "gamma": ("city-gamma", "2019-07", "2021-09"),
}


def make_catalogue(root: Path) -> Path:
    for seed, (folder, (name, start, end)) in enumerate(REGIONS.items(), 1):
        spec = dataclasses.replace(
            DemoSpec.small(), name=name, start=start, end=end, bbox=(121.15, 30.975, 121.35, 31.125), n_factories=80
        )
        make_demo_region(root / folder, dataclasses.replace(spec, seed=seed))
    (root / "broken").mkdir()
    (root / "broken" / "region.yaml").write_text('name: broken\nstart: "2019-13"\n')
    return root


@pytest.fixture(scope="module")
def regions_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("catalogue")
    catalogue, storage, home = make_catalogue(root / "regions"), root / "out", root / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(home))
        with redirect_stdout(io.StringIO()) as run_out:
            code = main(["run", "--regions", str(catalogue), "--storage", str(storage)])
        with redirect_stdout(io.StringIO()) as status_out:
            status = main(["status", "--regions", str(catalogue), "--storage", str(storage), "--at", "2022-01-20"])
    lines, status_lines = run_out.getvalue().splitlines(), status_out.getvalue().splitlines()
    return code, "\n".join(lines), status, "\n".join(status_lines), storage, home


def test_one_run_builds_every_region_over_its_own_months(regions_run):
    code, out, _, _, storage, home = regions_run
    for name, start, end in REGIONS.values():
        estimates = sorted(p.stem for p in (storage / name / "gvio_estimate").glob("*.parquet"))
        assert (estimates[0], estimates[-1]) == (start, end), name
        assert (storage / name / "gvio_grid" / f"{end}.tif").is_file()
        assert (home / "regions" / name / "dagster.yaml").is_file()  # each region its own instance
        assert f"{name}: " in out
    table = pd.read_parquet(storage / "city-beta" / "gvio_estimate" / "2021-12.parquet")
    assert table["selected"].sum() == 1


def test_a_bad_region_folder_is_named_and_fails_the_exit_status_only(regions_run):
    code, out, *_ = regions_run
    assert code == 1
    assert "BAD REGION FOLDER" in out and "broken/region.yaml: start: 2019-13" in out
    assert "FAILED region(s): broken" in out
    assert "city-alpha: 30 month(s) of features, 30 estimated" in out


def test_status_prints_each_regions_health_and_latest_estimate(regions_run):
    _, _, status, out, *_ = regions_run
    assert status == 1  # the bad folder
    for name, _, end in REGIONS.values():
        assert f"Region {name}:" in out
        assert f"Latest estimate: {end}: " in out
    assert "BAD REGION FOLDER broken" in out


def test_the_regions_side_by_side_one_table_per_month_and_a_chart(regions_run):
    *_, storage, _ = regions_run
    december = pd.read_parquet(storage / "gvio_regions" / "2021-12.parquet")
    assert december["region"].tolist() == ["city-alpha", "city-beta"]  # gamma ends in 2021-09
    assert (december["lower"] <= december["estimate"]).all() and (december["estimate"] <= december["upper"]).all()
    first = pd.read_parquet(storage / "gvio_regions" / "2019-07.parquet")
    assert first["region"].tolist() == ["city-alpha", "city-gamma"]  # beta starts in 2019-10
    assert (storage / "previews" / "gvio_regions.png").read_bytes()[:4] == b"\x89PNG"
