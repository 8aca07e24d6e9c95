"""What the monitoring reads from the Dagster instance: the months built, the newest month of the published
statistics, the latest result of each check (per month), the last failed run; and the region's health
summary put together from them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import dagster as dg

from sacnn_dagster.config.months import month_range
from sacnn_dagster.config.region import RegionConfig
from sacnn_dagster.defs.asset_keys import RegionKeys
from sacnn_dagster.defs.dagster_private import AssetCheckExecutionRecordStatus
from sacnn_dagster.defs.jobs import REGION_TAG
from sacnn_dagster.monitoring.freshness import FRESHNESS_CHECK, SOURCE_OF, Verdict, deadline_days, due_for, judge
from sacnn_dagster.monitoring.health import AssetHealth, FailedRun, FailingCheck, HealthSummary, missing_months

#: Check results looked at per check (newest first): every month of a long region, several times over.
HISTORY_LIMIT = 2000
#: Failed runs looked at for the region's latest (the regions of a catalogue share the instance's runs).
RUNS_LOOKED_AT = 200


def months_built(instance: dg.DagsterInstance, asset: str, keys: RegionKeys) -> set[str]:
    """The months the region's `asset` holds; for the statistics (one unpartitioned asset), every month from the
    first to the newest published month in its latest materialization."""
    if asset != "gvio_statistics":
        return set(instance.get_materialized_partitions(keys(asset)))
    event = instance.get_latest_materialization_event(keys(asset))
    metadata = event.asset_materialization.metadata if event and event.asset_materialization else {}
    first, last = metadata.get("first_month"), metadata.get("last_month")
    if first is None or last is None or not first.value or not last.value:
        return set()
    return set(month_range(str(first.value), str(last.value)))


def months_failed(instance: dg.DagsterInstance, asset: str, keys: RegionKeys) -> tuple[str, ...]:
    """Months whose latest attempt at the region's `asset` was in a run that failed or was canceled, and that no
    run has built since (what the UI shows as failed partitions)."""
    attempts = instance.event_log_storage.get_latest_asset_partition_materialization_attempts_without_materializations(
        keys(asset)
    )
    if not attempts:
        return ()
    run_ids = list({run_id for run_id, _ in attempts.values()})
    ended = {dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}
    failed = {run.run_id for run in instance.get_runs(dg.RunsFilter(run_ids=run_ids)) if run.status in ended}
    return tuple(sorted(month for month, (run_id, _) in attempts.items() if run_id in failed))


def verdicts(
    instance: dg.DagsterInstance, region: RegionConfig, keys: RegionKeys, assets: Iterable[str], now: datetime
) -> list[Verdict]:
    """The freshness of each of the region's `assets` (by name) at `now`."""
    out = []
    for asset in assets:
        due = due_for(asset, now, region.start, region.end, region.monitoring)
        days = deadline_days(SOURCE_OF[asset], region.monitoring)
        out.append(judge(asset, months_built(instance, asset, keys), due, days, region.end))
    return out


def latest_results(instance: dg.DagsterInstance, key: dg.AssetCheckKey) -> dict[str, dg.AssetCheckEvaluation]:
    """partition ("" for an unpartitioned check) -> the latest completed evaluation of check `key`."""
    records = instance.event_log_storage.get_asset_check_execution_history(key, limit=HISTORY_LIMIT)
    done = (AssetCheckExecutionRecordStatus.SUCCEEDED, AssetCheckExecutionRecordStatus.FAILED)
    out: dict[str, dg.AssetCheckEvaluation] = {}
    for record in records:  # newest first
        partition = record.partition or ""
        if partition in out or record.status not in done or record.event is None:
            continue
        evaluation = record.event.dagster_event.event_specific_data if record.event.dagster_event else None
        if isinstance(evaluation, dg.AssetCheckEvaluation):
            out[partition] = evaluation
    return out


def failing(instance: dg.DagsterInstance, key: dg.AssetCheckKey) -> dict[str, dg.AssetCheckEvaluation]:
    """partition -> the latest evaluation of check `key` there, where that failed with severity error
    (warnings are left to the Checks tab)."""
    return {
        p: e
        for p, e in latest_results(instance, key).items()
        if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    }


def _of_region(run: dg.DagsterRun, region: str, keys: RegionKeys) -> bool:
    """Whether `run` built the region: its jobs' runs carry its tag; a backfill launched from the UI has no tag
    but its assets (all of the instance's, in a code location of one region)."""
    if REGION_TAG in run.tags:
        return run.tags[REGION_TAG] == region
    return not keys.prefix or bool(run.asset_selection) and all(keys.owns(k) for k in run.asset_selection)


def last_failed_run(instance: dg.DagsterInstance, region: str, keys: RegionKeys) -> FailedRun | None:
    records = instance.get_run_records(dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE]), limit=RUNS_LOOKED_AT)
    record = next((r for r in records if _of_region(r.dagster_run, region, keys)), None)
    if record is None:
        return None
    ended = datetime.fromtimestamp(record.end_time or record.update_timestamp.timestamp(), tz=UTC)
    return FailedRun(record.dagster_run.run_id, record.dagster_run.job_name, ended.strftime("%Y-%m-%d %H:%M UTC"))


def health_summary(
    instance: dg.DagsterInstance,
    region: RegionConfig,
    keys: RegionKeys,
    monitored: Iterable[str],
    check_keys: Iterable[dg.AssetCheckKey],
    now: datetime,
) -> HealthSummary:
    """The region's health at `now`: the monitored assets' freshness and missing months, every check failing
    with severity error (freshness aside: it is the assets' state), the last failed run."""
    assets = []
    for verdict in verdicts(instance, region, keys, monitored, now):
        built = () if verdict.asset == "gvio_statistics" else months_built(instance, verdict.asset, keys)
        missing = (
            ()
            if verdict.asset == "gvio_statistics"
            else missing_months(region.start, verdict.due.month if verdict.due else None, built)
        )
        failed = () if verdict.asset == "gvio_statistics" else months_failed(instance, verdict.asset, keys)
        assets.append(AssetHealth(verdict, missing, failed))
    checks = []
    for key in sorted(check_keys, key=lambda k: k.to_user_string()):
        if key.name == FRESHNESS_CHECK:
            continue
        bad = failing(instance, key)
        if bad:
            first = bad[sorted(bad)[0]]
            checks.append(
                FailingCheck(
                    key.asset_key.to_user_string(),
                    key.name,
                    tuple(sorted(p for p in bad if p)),
                    first.description or "",
                )
            )
    return HealthSummary(region.name, tuple(assets), tuple(checks), last_failed_run(instance, region.name, keys))
