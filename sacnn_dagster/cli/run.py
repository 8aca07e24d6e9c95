"""Materialize a region's assets for a range of months through Dagster, from Python or the CLI.

A full run goes: statistics, monthly features, model training, monthly estimates and grids, evaluation.
Each contiguous stretch of months that have a composite is one Dagster run over a partition range (the
assets use single-run backfill policies), so a decade of months costs one run's overhead, not a hundred.
Months without a composite are reported and skipped: they are simply not published yet.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from sacnn_dagster.config.months import contiguous_stretches, month_range
from sacnn_dagster.defs.code_location import (
    EVALUATION_JOB,
    FEATURES_JOB,
    MODEL_JOB,
    OUTPUTS_JOB,
    REFERENCE_JOB,
    build_definitions,
)
from sacnn_dagster.defs.dagster_private import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from sacnn_dagster.defs.resources import RegionResource
from sacnn_dagster.io.layout import EVALUATION_SUMMARY, STATISTICS_FILE

INSTANCE_YAML = """\
# Local Dagster instance for sacnn_dagster (SQLite storage in this folder).
telemetry:
  enabled: false
# Download progress, retries and cache evictions are logged by the `sacnn_dagster` Python loggers:
# show them in each run's log in the UI.
python_logs:
  managed_python_loggers:
    - sacnn_dagster
  python_log_level: INFO
"""


def ensure_dagster_home(default: str | os.PathLike = ".dagster_home") -> Path:
    """Use $DAGSTER_HOME, or create ./.dagster_home and point $DAGSTER_HOME at it."""
    home = Path(os.environ.get("DAGSTER_HOME") or default).resolve()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        (home / "dagster.yaml").write_text(INSTANCE_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def user_error(error) -> str:
    """The message of the user-code error (which names the bad input) in a step failure's error, not of
    Dagster's wrapper around it."""
    while error.cause is not None and (error.cls_name or "").startswith("Dagster"):
        error = error.cause
    if error.cls_name == "Failure":  # raised on purpose: its description is the message, after the class path
        return error.message.split(": ", 1)[-1].strip()
    return error.message.strip()


def months_with_composite(defs: dg.Definitions, start: str | None, end: str | None) -> tuple[list[str], list[str]]:
    """(months with a composite, months without one) among the region's partitions from `start` to `end`
    (default: all of them): what `run` and `backfill` materialize, and what they report as missing."""
    keys = defs.resolve_assets_def("ntl_composite").partitions_def.get_partition_keys()
    if not keys:
        raise ValueError("the region has no month yet: its start month is in the future")
    first, last = max(start or keys[0], keys[0]), min(end or keys[-1], keys[-1])
    if first > last:
        raise ValueError(f"--start {first} is after --end {last} (the region's months: {keys[0]}..{keys[-1]})")
    partitions = set(keys)
    wanted = [m for m in month_range(first, last) if m in partitions]
    available = defs.resources["region"].nightlights.available_months()
    return [m for m in wanted if m in available], [m for m in wanted if m not in available]


def step_errors(result) -> list[str]:
    """'step: message' for each failed step of an in-process run (see `user_error`)."""
    return [
        f"{event.step_key}: {user_error(event.step_failure_data.error)}"
        for event in result.all_events
        if event.is_step_failure and event.step_failure_data.error is not None
    ]


@dataclass
class RunReport:
    months_requested: list[str]
    months_materialized: list[str] = field(default_factory=list)
    months_without_composite: list[str] = field(default_factory=list)
    months_estimated: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)
    evaluation: dict | None = None

    @property
    def ok(self) -> bool:
        return not self.failures


def run_region(
    region_dir: str | os.PathLike,
    start: str | None = None,
    end: str | None = None,
    storage_root: str | None = None,
    instance: dg.DagsterInstance | None = None,
    echo: Callable[[str], None] = print,
) -> RunReport:
    defs = build_definitions(region_dir, storage_root)
    region: RegionResource = defs.resources["region"]
    cfg = region.config
    runnable, missing = months_with_composite(defs, start, end)
    requested = sorted(runnable + missing)
    first, last = requested[0], requested[-1]
    report = RunReport(months_requested=requested, months_without_composite=missing)
    instance = instance or dg.DagsterInstance.get()
    run_config = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}

    echo(f"Region {cfg.name}: {len(requested)} month(s) {first}..{last}, {len(runnable)} with a composite")
    latest = max(runnable, default="")
    gaps = [m for m in report.months_without_composite if m < latest]
    not_yet = [m for m in report.months_without_composite if m > latest]
    if gaps:
        echo(f"  missing (no composite): {', '.join(gaps)}")
    if not_yet:
        echo(f"  not published yet: {len(not_yet)} month(s) {not_yet[0]}..{not_yet[-1]}")

    def run_once(job_name: str, what: str) -> bool:
        echo(f"{what}")
        result = defs.resolve_job_def(job_name).execute_in_process(
            instance=instance, run_config=run_config, raise_on_error=False
        )
        report.run_ids.append(result.run_id)
        report.failures += [f"{error} (run {result.run_id})" for error in step_errors(result)]
        return result.success

    def run_months(job_name: str, months: list[str]) -> list[str]:
        """Run a monthly job over contiguous stretches; a failed stretch is redone month by month so that
        one bad month costs only itself (the good months give the same bytes again)."""
        job = defs.resolve_job_def(job_name)
        done: list[str] = []

        def stretch(a: str, b: str) -> bool:
            result = job.execute_in_process(
                instance=instance,
                run_config=run_config,
                tags={ASSET_PARTITION_RANGE_START_TAG: a, ASSET_PARTITION_RANGE_END_TAG: b},
                raise_on_error=False,
            )
            report.run_ids.append(result.run_id)
            if result.success:
                done.extend(month_range(a, b))
            elif a == b:
                report.failures += [f"{a} {error} (run {result.run_id})" for error in step_errors(result)]
            return result.success

        for a, b in contiguous_stretches(months):
            echo(f"{job_name}: {a}..{b} in one Dagster run")
            if not stretch(a, b) and a != b:
                echo(f"  {a}..{b} failed; running its months one by one to isolate the failure")
                for month in month_range(a, b):
                    stretch(month, month)
        return sorted(done)

    statistics_ok = run_once(REFERENCE_JOB, "gvio_statistics: parsing the published statistics")
    featured = run_months(FEATURES_JOB, runnable)
    report.months_materialized = featured
    if statistics_ok and not published_values(defs):
        echo("statistics/gvio_monthly.csv holds no values: nothing to train on, stopping after the features")
    elif statistics_ok and featured and run_once(MODEL_JOB, "gvio_model: training SA-CNN and its rivals"):
        report.months_estimated = run_months(OUTPUTS_JOB, featured)
        if report.months_estimated and run_once(EVALUATION_JOB, "model_evaluation: scoring on held-out months"):
            report.evaluation = read_evaluation(defs)
    for failure in report.failures:
        echo(f"  FAILED {failure}")
    return report


def published_values(defs: dg.Definitions) -> int:
    import pandas as pd

    with defs.resources["storage"].reading(STATISTICS_FILE) as path:
        return len(pd.read_parquet(path))


def read_evaluation(defs: dg.Definitions) -> dict:
    storage = defs.resources["storage"]
    with storage.reading(EVALUATION_SUMMARY) as path:
        return json.loads(path.read_text())


def evaluation_table(summary: dict) -> str:
    """The evaluation as a plain-text table for the terminal."""
    lines = [f"{'model':<15}{'split':<8}{'R²':>8}{'RMSE':>10}{'MAPE %':>9}"]
    for model, splits in summary["models"].items():
        for split in ("random", "time"):
            m = splits[split]
            lines.append(f"{model:<15}{split:<8}{m['r2']:>8.3f}{m['rmse']:>10.1f}{m['mape']:>9.2f}")
    grid = summary["grid"]
    for key in ("r2_vs_true_grid", "r2_vs_district"):
        value = grid.get(key)
        lines.append(f"grid {key}: {value:.3f}" if value is not None else f"grid {key}: not available")
    return "\n".join(lines)
