"""Materialize a region's assets for a range of months through Dagster, from Python or the CLI.

A full run goes: statistics, monthly features, model training, monthly estimates and grids, evaluation.
Each contiguous stretch of months that have a composite is one Dagster run over a partition range (the
assets use single-run backfill policies), so a decade of months costs one run's overhead, not a hundred.
Months without a composite are reported and skipped: they are simply not published yet.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from sacnn_dagster.cli.dead_runs import PROCESS_TAG, cancel_own_runs, fail_dead_runs, this_process
from sacnn_dagster.cli.errors import step_errors, step_failures
from sacnn_dagster.cli.evaluation import read_evaluation
from sacnn_dagster.cli.labels import read_statistics, too_few_labels, too_few_labels_hint
from sacnn_dagster.cli.stopping import on_hard_stop, raise_if_interrupted
from sacnn_dagster.cli.summary import QUIET_CONSOLE, summary_lines
from sacnn_dagster.config.months import contiguous_stretches, month_range
from sacnn_dagster.defs.asset_keys import RegionKeys
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
from sacnn_dagster.evaluation.validation import ValidationDataError
from sacnn_dagster.io.local_faults import PERMANENT_ERRNOS
from sacnn_dagster.nightlights.preflight import check_region

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
# A run whose process died (killed, out of memory) is marked failed instead of staying STARTED: the daemon
# of `dagster dev` watches the runs it launches; `sacnn-dagster run` marks its own dead runs failed.
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  cancel_timeout_seconds: 180
  max_resume_run_attempts: 0
  poll_interval_seconds: 60
"""


def ensure_dagster_home(default: str | os.PathLike = ".dagster_home") -> Path:
    """Use $DAGSTER_HOME, or create ./.dagster_home and point $DAGSTER_HOME at it."""
    home = Path(os.environ.get("DAGSTER_HOME") or default).resolve()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        (home / "dagster.yaml").write_text(INSTANCE_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def months_with_composite(defs: dg.Definitions, start: str | None, end: str | None) -> tuple[list[str], list[str]]:
    """(months with a composite, months without one) among the region's partitions from `start` to `end`
    (default: all of them): what `run` and `backfill` materialize, and what they report as missing."""
    keys = defs.resolve_job_def(FEATURES_JOB).partitions_def.get_partition_keys()
    if not keys:
        raise ValueError("the region has no month yet: its start month is in the future")
    first, last = max(start or keys[0], keys[0]), min(end or keys[-1], keys[-1])
    if first > last:
        raise ValueError(f"--start {first} is after --end {last} (the region's months: {keys[0]}..{keys[-1]})")
    partitions = set(keys)
    wanted = [m for m in month_range(first, last) if m in partitions]
    available = defs.resources["region"].nightlights.available_months()
    return [m for m in wanted if m in available], [m for m in wanted if m not in available]


#: How `run` tells a problem with a validation file: the estimates and grids do not depend on it.
VALIDATION_WARNING = "WARNING about validation (the estimates and grids are stored)"


@dataclass
class RunReport:
    months_requested: list[str]
    months_materialized: list[str] = field(default_factory=list)
    months_without_composite: list[str] = field(default_factory=list)
    months_estimated: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    #: Problems with the region's validation files: only the comparison with them is lost (the estimates
    #: and grids are stored), so they do not fail the run.
    warnings: list[str] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)
    #: A full disk, a folder without write permission, a read-only file system: the run stops at the first.
    local_fault: str | None = None
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
    keys: RegionKeys = RegionKeys(),
) -> RunReport:
    """`keys`: the region's asset keys (a catalogue's region: under its name, as its code location has them)."""
    defs = build_definitions(region_dir, storage_root, keys)
    region: RegionResource = defs.resources["region"]
    cfg = region.config
    root = defs.resources["storage"].root
    if not root.startswith("s3://"):
        Path(root).mkdir(parents=True, exist_ok=True)  # a root that cannot be a folder: told before any run
    runnable, missing = months_with_composite(defs, start, end)
    check_region(region.nightlights, region.boundary.bounds, runnable)  # bad input: refused before any run
    requested = sorted(runnable + missing)
    first, last = requested[0], requested[-1]
    report = RunReport(months_requested=requested, months_without_composite=missing)
    instance = instance or dg.DagsterInstance.get()
    run_config = QUIET_CONSOLE
    dead = fail_dead_runs(instance)
    process = {PROCESS_TAG: this_process()}
    on_hard_stop(lambda reason: cancel_own_runs(instance, reason))  # a stop signal ends the process (stopping.py)

    echo(f"Region {cfg.name}: {len(requested)} month(s) {first}..{last}, {len(runnable)} with a composite")
    if dead:
        echo(f"  {len(dead)} run(s) whose process died marked failed: {', '.join(dead)}")
    latest = max(runnable, default="")
    gaps = [m for m in report.months_without_composite if m < latest]
    not_yet = [m for m in report.months_without_composite if m > latest]
    if gaps:
        echo(f"  missing (no composite): {', '.join(gaps)}")
    if not_yet:
        echo(f"  not published yet: {len(not_yet)} month(s) {not_yet[0]}..{not_yet[-1]}")

    def explained(error: str) -> str:
        return f"{error}; {too_few_labels_hint(defs, last)}" if too_few_labels(error) else error

    def run_once(job_name: str, what: str) -> bool:
        echo(f"{what}")
        result = defs.resolve_job_def(job_name).execute_in_process(
            instance=instance, run_config=run_config, tags=process, raise_on_error=False
        )
        report.run_ids.append(result.run_id)
        raise_if_interrupted(result)  # a stop request ends the command here, not with the next job
        for error in step_failures(result):
            if error.kind == ValidationDataError.__name__:
                report.warnings.append(f"{error.plain} (run {result.run_id})")
            else:
                report.failures.append(f"{explained(str(error))} (run {result.run_id})")
        for line in summary_lines([result]):
            echo(line)
        return result.success

    def run_months(job_name: str, months: list[str]) -> list[str]:
        """Run a monthly job over contiguous stretches; a failed stretch is redone month by month so that
        one bad month costs only itself (the good months give the same bytes again)."""
        job = defs.resolve_job_def(job_name)
        done: list[str] = []
        results: list[dg.ExecuteInProcessResult] = []

        def stretch(a: str, b: str) -> bool:
            result = job.execute_in_process(
                instance=instance,
                run_config=run_config,
                tags={ASSET_PARTITION_RANGE_START_TAG: a, ASSET_PARTITION_RANGE_END_TAG: b, **process},
                raise_on_error=False,
            )
            report.run_ids.append(result.run_id)
            raise_if_interrupted(result)  # not redone month by month: the command was asked to stop
            results.append(result)
            if result.success:
                done.extend(month_range(a, b))
                return True
            errors = step_errors(result)
            fault = next((e for e in errors if any(words in e for words in PERMANENT_ERRNOS.values())), None)
            if fault is not None:
                # a full disk or a folder we may not write fails every month alike: told once, nothing redone
                report.local_fault = f"{a}..{b} {fault} (run {result.run_id})"
                report.failures.append(report.local_fault)
            elif a == b:
                report.failures += [f"{a} {error} (run {result.run_id})" for error in errors]
            return False

        for a, b in contiguous_stretches(months):
            if report.local_fault:
                break
            echo(f"{job_name}: {a}..{b} in one Dagster run")
            results.clear()
            if not stretch(a, b) and a != b and not report.local_fault:
                echo(f"  {a}..{b} failed; running its months one by one to isolate the failure")
                for month in month_range(a, b):
                    stretch(month, month)
            for line in summary_lines(results):
                echo(line)
        return sorted(done)

    statistics_ok = run_once(REFERENCE_JOB, "gvio_statistics: parsing the published statistics")
    featured = run_months(FEATURES_JOB, runnable)
    report.months_materialized = featured
    if report.local_fault:
        echo("stopped: this machine cannot write the outputs (see the failure below); nothing else was tried")
    elif statistics_ok and not published_values(defs):
        echo("statistics/gvio_monthly.csv holds no values: nothing to train on, stopping after the features")
    elif statistics_ok and featured and run_once(MODEL_JOB, "gvio_model: training SA-CNN and its rivals"):
        report.months_estimated = run_months(OUTPUTS_JOB, featured)
        if report.months_estimated and run_once(EVALUATION_JOB, "model_evaluation: scoring on held-out months"):
            report.evaluation = read_evaluation(defs)
            report.warnings += report.evaluation.get("grid", {}).get("problems", [])
    for failure in report.failures:
        echo(f"  FAILED {failure}")
    for warning in report.warnings:
        echo(f"  {VALIDATION_WARNING}: {warning}")
    return report


def published_values(defs: dg.Definitions) -> int:
    return len(read_statistics(defs))
