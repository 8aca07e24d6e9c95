"""What `run` tells the terminal about its Dagster runs: one line per asset and stretch of months, and one per
check that failed, from the runs' events. The per-month details (what each month read and wrote, each check's
measurements) stay in the runs' logs in the Dagster event log, which the UI shows: the console logger of the
in-process runs is quiet (`QUIET_CONSOLE`)."""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg

from sacnn_dagster.config.months import contiguous_stretches, month_range
from sacnn_dagster.defs.asset_keys import RegionKeys

#: Run config of the in-process runs: the console logger shows nothing (every message still goes to the
#: event log); failures are told by `run` itself, one line each, without Dagster's stack traces.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def stretch_text(first: str, last: str) -> str:
    return first if first == last else f"{first}..{last}"


def summary_lines(results: Iterable[dg.ExecuteInProcessResult]) -> list[str]:
    """For each asset the runs materialized (in the order they did): 'asset first..last: N month(s)' per
    contiguous stretch of months, or 'asset: materialized'; then 'asset: check failed ...' for each check
    that failed, naming the months."""
    materialized: dict[str, set[str | None]] = {}
    checked: dict[tuple[str, str], list[dg.AssetCheckEvaluation]] = {}
    for result in results:
        for event in result.get_asset_materialization_events():
            materialized.setdefault(RegionKeys.name(event.asset_key), set()).add(event.partition)
        for evaluation in result.get_asset_check_evaluations():
            checked.setdefault((RegionKeys.name(evaluation.asset_key), evaluation.check_name), []).append(evaluation)
    lines = []
    for asset, partitions in materialized.items():
        months = sorted(p for p in partitions if p is not None)
        if None in partitions:
            lines.append(f"  {asset}: materialized")
        for first, last in contiguous_stretches(months):
            lines.append(f"  {asset} {stretch_text(first, last)}: {len(month_range(first, last))} month(s)")
    for (asset, check), evaluations in checked.items():
        failed = [e for e in evaluations if not e.passed]
        if not failed:
            continue
        severity = "error" if any(e.severity == dg.AssetCheckSeverity.ERROR for e in failed) else "warning"
        months = sorted(e.partition for e in failed if e.partition)
        where = f" for {len(months)} of {len(evaluations)} month(s): {', '.join(months)}" if months else ""
        lines.append(f"  {asset}: check {check} failed ({severity}){where}; the asset's Checks tab in the UI says why")
    return lines
