"""The README's first command, end to end on a small demo region, through the installed console script; what
the terminal shows of a run: a summary per asset and stretch of months, failures in one line each."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import numpy as np
import pandas as pd
import pytest
import rasterio
import yaml

from sacnn_dagster.cli.evaluation import EVALUATION_HEADING
from sacnn_dagster.cli.summary import summary_lines
from sacnn_dagster.config.months import month_range
from sacnn_dagster.nightlights.eog_names import parse_composite_name

SCRIPT = shutil.which("sacnn-dagster", path=str(Path(sys.executable).parent)) or "sacnn-dagster"
MONTHLY = [
    "ntl_composite",
    "ntl_clean",
    "factories",
    "factory_patches",
    "gvio_estimate",
    "gvio_grid",
    "gvio_by_district",
]
UNPARTITIONED = ["gvio_statistics", "gvio_model", "model_evaluation"]


def cli(*args, cwd, home):
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    return subprocess.run([SCRIPT, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """`sacnn-dagster demo --small` once for this module: the folder it ran in, and what it printed."""
    root = tmp_path_factory.mktemp("demo-run")
    out = cli("demo", "--small", "--region", "region", "--storage", "out", cwd=root, home=root / "home")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return root, out


def test_demo_command_builds_and_materializes_every_month(demo_run):
    root, out = demo_run
    home = root / "home"
    assert "Demo region written" in out.stdout and "0 failure(s)" in out.stdout
    spec = yaml.safe_load((root / "region" / "region.yaml").read_text())
    months = month_range(str(spec["start"]), str(spec["end"]))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for asset in ("ntl_composite", "ntl_clean", "factories", "factory_patches"):
            assert instance.get_materialized_partitions(dg.AssetKey(asset)) == set(months), asset
        assert instance.get_latest_materialization_event(dg.AssetKey("gvio_statistics")) is not None
    for m in months:
        assert (root / "out" / "factory_patches" / f"{m}.parquet").is_file()
    check_estimates_grids_and_evaluation(root / "out", months, home, out.stdout)

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
        cwd=root,
        home=home,
    )
    assert again.returncode == 0 and "2 month(s)" in again.stdout

    # a broken composite fails its month only: non-zero exit, the real cause named, other months complete
    victim = sorted((root / "region" / "nightlights").rglob("*.avg_rade9h.tif"))[3]
    bad_month = parse_composite_name(victim.name).month
    victim.write_text("<html>login</html>")
    home2 = root / "home2"
    broken = cli("run", "--region", "region", "--storage", "out2", cwd=root, home=home2)
    assert broken.returncode == 1
    assert f"FAILED {bad_month} ntl_composite: " in broken.stdout
    (failed,) = [line for line in broken.stdout.splitlines() if line.strip().startswith("FAILED")]
    assert f"FAILED {bad_month} ntl_composite: " in failed and f"{victim.name}: cannot be read as a raster" in failed
    assert "Traceback" not in broken.stdout + broken.stderr and "Stack Trace" not in broken.stdout + broken.stderr
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
        (served,) = est.loc[est["selected"], "model"]  # one estimate a month is served, and the grid carries it
        with rasterio.open(out / "gvio_grid" / f"{m}.tif") as ds:
            grid = ds.read(1).astype(np.float64)
            assert "亿元" in ds.tags()["units"] and ds.tags()["model"] == served
        estimate = float(est.set_index("model").loc[served, "estimate"])
        assert np.nansum(grid) == pytest.approx(estimate, rel=1e-4)
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


def test_a_run_prints_one_line_per_asset_and_stretch_of_months(demo_run):
    """The per-month details are in the Dagster event log, not on the terminal: each asset is named once per
    stretch of months it was materialized for."""
    root, out = demo_run
    spec = yaml.safe_load((root / "region" / "region.yaml").read_text())
    first, last = str(spec["start"]), str(spec["end"])
    lines = (out.stdout + out.stderr).splitlines()
    # the run's own lines, up to the evaluation table (whose length follows the number of models)
    assert len(lines[: lines.index(EVALUATION_HEADING)]) < 30, "\n".join(lines)
    assert not [line for line in lines if " - INFO - " in line or "dagster - " in line]
    n = len(month_range(first, last))
    for asset in MONTHLY:
        named = [line for line in lines if line.split()[:1] == [asset]]
        assert named == [f"  {asset} {first}..{last}: {n} month(s)"], asset
    for asset in UNPARTITIONED:
        assert lines.count(f"  {asset}: materialized") == 1, asset


def test_the_evaluation_table_is_printed_once(demo_run):
    _, out = demo_run
    text = out.stdout + out.stderr
    assert text.count("Evaluation on held-out months") == 1
    assert len([line for line in text.splitlines() if line.startswith("model") and "R²" in line]) == 1
    assert "| model" not in text  # the evaluation asset's own table stays in its log in the UI


def test_too_few_labels_is_told_in_one_line_with_the_range_to_run(small_demo_region, tmp_path):
    out = cli(
        "run",
        "--region",
        str(small_demo_region),
        "--start",
        "2020-03",
        "--end",
        "2020-03",
        "--storage",
        "out",
        cwd=tmp_path,
        home=tmp_path / "home",
    )
    assert out.returncode == 1
    text = out.stdout + out.stderr
    assert "Traceback" not in text and "Stack Trace" not in text
    (line,) = [line for line in text.splitlines() if "too few" in line]
    assert line.strip().startswith("FAILED gvio_model: ") and "only 1 labelled value(s)" in line
    # the range it suggests holds enough published values for the model and its evaluation (22)
    start, end = re.search(r"run a longer range, e\.g\. --start (\S+) --end (\S+):", line).groups()
    statistics = pd.read_csv(small_demo_region / "statistics" / "gvio_monthly.csv").dropna(subset=["gvio"])
    periods = [str(period).split("/") for period in statistics["month"]]
    assert sum(start <= p[0] and p[-1] <= end for p in periods) >= 22, line
    assert start <= "2020-03" <= end


def test_the_summary_names_each_asset_once_per_stretch_and_each_failed_check_once():
    """A stretch redone month by month around a bad month: two stretches for the assets that skipped it; a
    warning check that failed on two months is one line naming them."""

    def materialized(asset: str, *months: str | None) -> list[SimpleNamespace]:
        return [SimpleNamespace(asset_key=dg.AssetKey(asset), partition=m) for m in months]

    def checked(month: str, passed: bool) -> dg.AssetCheckEvaluation:
        key, severity = dg.AssetKey("ntl_composite"), dg.AssetCheckSeverity.WARN
        return dg.AssetCheckEvaluation(key, "coverage", passed, severity=severity, partition=month)

    months = month_range("2020-01", "2020-06")
    ranged = SimpleNamespace(
        get_asset_materialization_events=lambda: (
            materialized("factories", *months) + materialized("ntl_composite", *[m for m in months if m != "2020-03"])
        ),
        get_asset_check_evaluations=lambda: [checked(m, m not in ("2020-02", "2020-05")) for m in months],
    )
    plain = SimpleNamespace(
        get_asset_materialization_events=lambda: materialized("gvio_model", None),
        get_asset_check_evaluations=lambda: [],
    )
    assert summary_lines([ranged, plain]) == [
        "  factories 2020-01..2020-06: 6 month(s)",
        "  ntl_composite 2020-01..2020-02: 2 month(s)",
        "  ntl_composite 2020-04..2020-06: 3 month(s)",
        "  gvio_model: materialized",
        "  ntl_composite: check coverage failed (warning) for 2 of 6 month(s): 2020-02, 2020-05; the asset's Checks "
        "tab in the UI says why",
    ]


def test_a_bad_validation_file_is_a_warning_and_the_outputs_stay(small_demo_region, tmp_path):
    """A corrupt true grid under validation/ costs only the comparison with it: every month's estimates and
    grids are stored, the run exits 0 and one warning line names the file."""
    region = tmp_path / "region"
    shutil.copytree(small_demo_region, region)
    bad = sorted((region / "validation" / "grid").glob("*.tif"))[0]
    bad.write_bytes(b"II*\x00 this is not a GeoTIFF")
    out = cli("run", "--region", str(region), "--storage", "out", cwd=tmp_path, home=tmp_path / "home")
    text = out.stdout + out.stderr
    assert out.returncode == 0, text[-3000:]
    assert "FAILED" not in text and "Traceback" not in text and "0 failure(s)" in text
    (line,) = [line for line in text.splitlines() if "WARNING" in line]
    assert line.strip().startswith("WARNING about validation (the estimates and grids are stored): ")
    assert f"validation file {bad}: not a readable GeoTIFF (" in line and "ValidationDataError" not in line
    spec = yaml.safe_load((region / "region.yaml").read_text())
    for month in month_range(str(spec["start"]), str(spec["end"])):
        assert (tmp_path / "out" / "gvio_estimate" / f"{month}.parquet").is_file(), month
        assert (tmp_path / "out" / "gvio_grid" / f"{month}.tif").is_file(), month


def test_a_step_failure_tells_the_kind_of_the_user_error_inside_dagsters_wrappers(tmp_path):
    """What lets `run` tell a bad validation file as a warning: the class of the error the asset raised."""
    from sacnn_dagster.cli.errors import step_failures
    from sacnn_dagster.evaluation.validation import ValidationDataError

    bad = tmp_path / "validation" / "grid" / "2020-01.tif"

    @dg.asset
    def compares() -> None:
        try:
            raise OSError("not a TIFF")
        except OSError as exc:
            raise ValidationDataError(bad, f"not a readable GeoTIFF ({exc})") from exc

    result = dg.materialize([compares], raise_on_error=False)
    (failure,) = step_failures(result)
    assert failure.kind == "ValidationDataError" and failure.step == "compares"
    assert failure.plain == f"compares: validation file {bad}: not a readable GeoTIFF (not a TIFF)"
