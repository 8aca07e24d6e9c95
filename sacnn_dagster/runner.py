"""Materialize a region's assets for a range of months through Dagster, from Python or the CLI.

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
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from sacnn_dagster.code_location import MONTHLY_JOB, REFERENCE_JOB, build_definitions
from sacnn_dagster.core.months import add_months, month_range
from sacnn_dagster.resources import RegionResource

INSTANCE_YAML = """\
# Local Dagster instance for sacnn_dagster (SQLite storage in this folder).
telemetry:
  enabled: false
"""


def ensure_dagster_home(default: str | os.PathLike = ".dagster_home") -> Path:
    """Use $DAGSTER_HOME, or create ./.dagster_home and point $DAGSTER_HOME at it."""
    home = Path(os.environ.get("DAGSTER_HOME") or default).resolve()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        (home / "dagster.yaml").write_text(INSTANCE_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def contiguous_stretches(months: list[str]) -> list[tuple[str, str]]:
    """['2014-01','2014-02','2014-04'] -> [('2014-01','2014-02'), ('2014-04','2014-04')]."""
    stretches: list[tuple[str, str]] = []
    for m in sorted(months):
        if stretches and add_months(stretches[-1][1], 1) == m:
            stretches[-1] = (stretches[-1][0], m)
        else:
            stretches.append((m, m))
    return stretches


def step_errors(result) -> list[str]:
    """'step: message' for each failed step of an in-process run: the user-code error (which names the bad
    input), not Dagster's wrapper around it."""
    errors = []
    for event in result.all_events:
        if not event.is_step_failure or event.step_failure_data.error is None:
            continue
        error = event.step_failure_data.error
        while error.cause is not None and (error.cls_name or "").startswith("Dagster"):
            error = error.cause
        errors.append(f"{event.step_key}: {error.message.strip()}")
    return errors


@dataclass
class RunReport:
    months_requested: list[str]
    months_materialized: list[str] = field(default_factory=list)
    months_without_composite: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)

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
    partition_keys = defs.get_assets_def("ntl_composite").partitions_def.get_partition_keys()
    first = max(start or cfg.start, cfg.start)
    last = min(end or partition_keys[-1], partition_keys[-1])
    requested = [m for m in month_range(first, last) if m in set(partition_keys)]
    report = RunReport(months_requested=requested)
    available = region.nightlights.available_months()
    report.months_without_composite = [m for m in requested if m not in available]
    runnable = [m for m in requested if m in available]
    instance = instance or dg.DagsterInstance.get()
    run_config = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}

    if first > last:
        raise ValueError(f"--start {first} is after --end {last}")
    echo(f"Region {cfg.name}: {len(requested)} month(s) {first}..{last}, {len(runnable)} with a composite")
    latest = max(runnable, default="")
    gaps = [m for m in report.months_without_composite if m < latest]
    not_yet = [m for m in report.months_without_composite if m > latest]
    if gaps:
        echo(f"  missing (no composite): {', '.join(gaps)}")
    if not_yet:
        echo(f"  not published yet: {len(not_yet)} month(s) {not_yet[0]}..{not_yet[-1]}")

    reference = defs.resolve_job_def(REFERENCE_JOB).execute_in_process(
        instance=instance, run_config=run_config, raise_on_error=False
    )
    report.run_ids.append(reference.run_id)
    if not reference.success:
        report.failures += [f"{error} (run {reference.run_id})" for error in step_errors(reference)]

    monthly = defs.resolve_job_def(MONTHLY_JOB)

    def run_stretch(a: str, b: str) -> bool:
        result = monthly.execute_in_process(
            instance=instance,
            run_config=run_config,
            tags={ASSET_PARTITION_RANGE_START_TAG: a, ASSET_PARTITION_RANGE_END_TAG: b},
            raise_on_error=False,
        )
        report.run_ids.append(result.run_id)
        if result.success:
            report.months_materialized += month_range(a, b)
        elif a == b:
            report.failures += [f"{a} {error} (run {result.run_id})" for error in step_errors(result)]
        return result.success

    for a, b in contiguous_stretches(runnable):
        echo(f"Materializing {a}..{b} in one Dagster run")
        if not run_stretch(a, b) and a != b:
            # One bad month must not cost the others: redo the stretch month by month (same bytes for the
            # good months), so every good month is materialized and the bad one stands alone, re-runnable.
            echo(f"  {a}..{b} failed; running its months one by one to isolate the failure")
            for month in month_range(a, b):
                run_stretch(month, month)
    report.months_materialized.sort()
    for failure in report.failures:
        echo(f"  FAILED {failure}")
    return report
