"""The README's first command, end to end on a small demo region, through the installed console script."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest
import rasterio
import yaml

from sacnn_dagster.config.months import month_range
from sacnn_dagster.nightlights.eog_names import parse_composite_name

SCRIPT = shutil.which("sacnn-dagster", path=str(Path(sys.executable).parent)) or "sacnn-dagster"


def cli(*args, cwd, home):
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    return subprocess.run([SCRIPT, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def test_demo_command_builds_and_materializes_every_month(tmp_path):
    home = tmp_path / "home"
    out = cli("demo", "--small", "--region", "region", "--storage", "out", cwd=tmp_path, home=home)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "Demo region written" in out.stdout and "0 failure(s)" in out.stdout
    spec = yaml.safe_load((tmp_path / "region" / "region.yaml").read_text())
    months = month_range(str(spec["start"]), str(spec["end"]))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for asset in ("ntl_composite", "ntl_clean", "factories", "factory_patches"):
            assert instance.get_materialized_partitions(dg.AssetKey(asset)) == set(months), asset
        assert instance.get_latest_materialization_event(dg.AssetKey("gvio_statistics")) is not None
    for m in months:
        assert (tmp_path / "out" / "factory_patches" / f"{m}.parquet").is_file()
    check_estimates_grids_and_evaluation(tmp_path / "out", months, home, out.stdout)

    # a second `demo` reuses the region; `run` over a sub-range works; a month with no composite is reported
    again = cli(
        "run",
        "--region",
        "region",
        "--storage",
        "out",
        "--start",
        months[1],
        "--end",
        months[2],
        cwd=tmp_path,
        home=home,
    )
    assert again.returncode == 0 and "2 month(s)" in again.stdout

    # a broken composite fails its month only: non-zero exit, the real cause named, other months complete
    victim = sorted((tmp_path / "region" / "nightlights").rglob("*.avg_rade9h.tif"))[3]
    bad_month = parse_composite_name(victim.name).month
    victim.write_text("<html>login</html>")
    home2 = tmp_path / "home2"
    broken = cli("run", "--region", "region", "--storage", "out2", cwd=tmp_path, home=home2)
    assert broken.returncode == 1
    assert f"FAILED {bad_month} ntl_composite: " in broken.stdout
    assert f"{victim.name}: cannot be read as a raster" in broken.stdout
    with dg.DagsterInstance.from_config(str(home2)) as instance:
        assert instance.get_materialized_partitions(dg.AssetKey("factory_patches")) == set(months) - {bad_month}
        assert instance.get_materialized_partitions(dg.AssetKey("factories")) == set(months)


def check_estimates_grids_and_evaluation(out: Path, months: list[str], home: Path, stdout: str) -> None:
    version = json.loads((out / "gvio_model" / "current.json").read_text())["version"]
    for m in months:
        est = pd.read_parquet(out / "gvio_estimate" / f"{m}.parquet")
        assert list(est.columns[:4]) == ["model", "estimate", "lower", "upper"]
        assert {"sacnn", "random_forest", "linear"} <= set(est["model"])
        assert (est["lower"] <= est["estimate"]).all() and (est["estimate"] <= est["upper"]).all()
        assert (est["model_version"] == version).all()
        with rasterio.open(out / "gvio_grid" / f"{m}.tif") as ds:
            grid = ds.read(1).astype(np.float64)
            assert "亿元" in ds.tags()["units"]
        sacnn = float(est.set_index("model").loc["sacnn", "estimate"])
        assert np.nansum(grid) == pytest.approx(sacnn, rel=1e-4)
    summary = json.loads((out / "evaluation" / "summary.json").read_text())
    for model in ("sacnn", "random_forest", "linear"):
        for split in ("random", "time"):
            assert set(summary["models"][model][split]) >= {"r2", "rmse", "mape"}
    assert summary["models"]["sacnn"]["time"]["n_test"] == 12
    assert isinstance(summary["grid"]["r2_vs_true_grid"], float)
    assert "Evaluation on held-out months" in stdout and "r2_vs_true_grid" in stdout
    with dg.DagsterInstance.from_config(str(home)) as instance:
        check = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(dg.AssetKey("gvio_grid"), "grid_sums_to_estimate")]
        )
        assert list(check.values())[0].status.value == "SUCCEEDED"


def test_bad_arguments_and_missing_region(tmp_path):
    out = cli("run", "--region", str(tmp_path / "nope"), cwd=tmp_path, home=tmp_path / "home")
    assert out.returncode == 2 and "nope" in out.stderr
    bad = cli("run", "--region", ".", "--start", "2020-13", cwd=tmp_path, home=tmp_path / "home")
    assert bad.returncode == 2 and "2020-13" in bad.stderr


def test_reversed_range_is_an_error(small_demo_region, tmp_path):
    out = cli(
        "run",
        "--region",
        str(small_demo_region),
        "--start",
        "2021-03",
        "--end",
        "2020-01",
        cwd=tmp_path,
        home=tmp_path / "home",
    )
    assert out.returncode == 2 and "--start 2021-03 is after --end 2020-01" in out.stderr
