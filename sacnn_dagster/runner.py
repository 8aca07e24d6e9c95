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
    """'step: message' for each failed step of an in-process run (the message names the bad input)."""
    return [
        f"{e.step_key}: {e.step_failure_data.error.message.strip()}"
        for e in result.all_events
        if e.is_step_failure and e.step_failure_data.error is not None
    ]


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

    echo(f"Region {cfg.name}: {len(requested)} month(s) {first}..{last}, {len(runnable)} with a composite")
    if report.months_without_composite:
        echo(f"  not available yet (no composite): {', '.join(report.months_without_composite)}")

    reference = defs.resolve_job_def(REFERENCE_JOB).execute_in_process(
        instance=instance, run_config=run_config, raise_on_error=False
    )
    report.run_ids.append(reference.run_id)
    if not reference.success:
        report.failures += [f"{error} (run {reference.run_id})" for error in step_errors(reference)]

    monthly = defs.resolve_job_def(MONTHLY_JOB)
    for a, b in contiguous_stretches(runnable):
        echo(f"Materializing {a}..{b} in one Dagster run")
        result = monthly.execute_in_process(
            instance=instance,
            run_config=run_config,
            tags={ASSET_PARTITION_RANGE_START_TAG: a, ASSET_PARTITION_RANGE_END_TAG: b},
            raise_on_error=False,
        )
        report.run_ids.append(result.run_id)
        if result.success:
            report.months_materialized += month_range(a, b)
        else:
            report.failures += [f"{a}..{b} {error} (run {result.run_id})" for error in step_errors(result)]
    return report
