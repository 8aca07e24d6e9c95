"""Automation: sensors that watch the region's inputs, the chain that carries each change downstream, and a
monthly safety net. The decisions are in versioning/source_scan.py; this module only talks to Dagster.

What starts what (every run a sensor launches says why in its `sacnn/reason` tag):

    nightlight_sensor   a composite appears or is reprocessed -> monthly_features for those months
    poi_sensor          a POI snapshot is new or revised      -> factories and factory_patches of the months
                                                                 it now applies to
    statistics_sensor   the statistics file's content changed -> retrain_model (gvio_statistics, gvio_model)
    estimate_updated_months   monthly_features succeeded      -> monthly_outputs for the same months
    estimate_after_retraining retrain_model succeeded         -> monthly_outputs for every month not yet
                                                                 estimated by the new model version
    evaluate_after_estimates  all those succeeded             -> evaluate_model
    monthly_catch_up (schedule) what the sensors may have missed (a failed run, sensors off)

Months that change together are requested as one run per contiguous stretch (a partition-range run; the
assets have single-run backfill policies): a run costs several seconds of Dagster overhead on a small
machine, so the first look at a decade of composites is one run, not a hundred and eight.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import dagster as dg

from sacnn_dagster.config.months import contiguous_stretches, month_range
from sacnn_dagster.config.region import RegionConfig
from sacnn_dagster.defs.dagster_private import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from sacnn_dagster.defs.resources import RegionResource
from sacnn_dagster.io.input_folder import is_remote
from sacnn_dagster.versioning.source_scan import MonthVersionWatcher, VersionCursor, run_key, snapshots_in_force
from sacnn_dagster.versioning.versions import content_digest

#: Why a sensor launched a run, for the UI's run list.
REASON_TAG = "sacnn/reason"
#: What follows when the run succeeds.
THEN_TAG = "sacnn/then"
ESTIMATE, ESTIMATE_ALL, EVALUATE = "estimate", "estimate_all", "evaluate"
#: The retraining run whose re-estimates an evaluation waits for.
ROUND_TAG = "sacnn/round"

#: `running` or `stopped`: the default status of every sensor and the schedule (a status set in the UI
#: wins). Without it, automation runs for the demo regions (named `demo-...`) and waits for a click elsewhere.
AUTOMATION_ENV = "SACNN_AUTOMATION"
#: Seconds between two evaluations of every sensor, overriding the defaults below (tests use 1).
INTERVAL_ENV = "SACNN_SENSOR_INTERVAL_S"
#: A local folder is cheap to look at; EOG, LAADS and S3 publish monthly and cost requests.
LOCAL_INTERVAL_S = 60
REMOTE_INTERVAL_S = 3600
CHAIN_INTERVAL_S = 30

#: Queued, starting, started... everything but the three ends.
UNFINISHED = [
    s
    for s in dg.DagsterRunStatus
    if s not in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)
]
#: Dagster's tag holding a materialization's data version.
DATA_VERSION_TAG = "dagster/data_version"

FEATURE_ASSETS_FROM_POIS = [dg.AssetKey("factories"), dg.AssetKey("factory_patches")]

# Sensors are evaluated in the code server, a long-lived process (the daemon's, or `dagster dev`'s): the folder
# index stays there between ticks. The cursor holds only what must survive a restart (the versions already
# requested); a restart of the code server costs one full listing.
_WATCHERS: dict[tuple, MonthVersionWatcher] = {}
_DIGESTS: dict[tuple, str] = {}


def default_status(region_name: str) -> dg.DefaultSensorStatus:
    setting = os.environ.get(AUTOMATION_ENV, "").strip().lower()
    if setting not in ("", "running", "stopped"):
        raise ValueError(f"${AUTOMATION_ENV} is {setting!r}: use running or stopped")
    running = setting == "running" or (not setting and region_name.startswith("demo-"))
    return dg.DefaultSensorStatus.RUNNING if running else dg.DefaultSensorStatus.STOPPED


def interval(default_s: int) -> int:
    value = os.environ.get(INTERVAL_ENV)
    return int(value) if value else default_s


def file_digest(path: Path) -> str:
    """sha256 of the file's content. Kept per (path, size, mtime, ctime): any write changes the ctime, so a
    revision is always read, while an unchanged POI export of tens of MB is not re-read every tick."""
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    if key not in _DIGESTS:
        _DIGESTS[key] = content_digest(path)
    return _DIGESTS[key]


def _range_tags(first: str, last: str) -> dict[str, str]:
    return {ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last}


def run_months(run: dg.DagsterRun) -> list[str]:
    """The months a monthly run covers (a partition range, or one partition launched from the UI)."""
    first, last = run.tags.get(ASSET_PARTITION_RANGE_START_TAG), run.tags.get(ASSET_PARTITION_RANGE_END_TAG)
    if first and last:
        return month_range(first, last)
    single = run.tags.get("dagster/partition")
    return [single] if single else []


def months_in_progress(instance: dg.DagsterInstance, job_name: str) -> set[str]:
    """Months being built by unfinished runs of `job_name`: a sensor leaves them for a later tick, so two
    runs never write the same month at once (the older could finish last)."""
    runs = instance.get_runs(dg.RunsFilter(job_name=job_name, statuses=UNFINISHED))
    return {month for run in runs for month in run_months(run)}


def latest_partition_metadata(instance: dg.DagsterInstance, asset: str, field: str) -> dict[str, object]:
    """month -> the value of metadata `field` on the latest materialization of each partition of `asset`:
    what each month was last built from (source version, snapshot, model version)."""
    key = dg.AssetKey(asset)
    ids = instance.get_latest_storage_id_by_partition(key, dg.DagsterEventType.ASSET_MATERIALIZATION)
    if not ids:
        return {}
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=key, storage_ids=list(ids.values())), limit=len(ids)
    ).records
    out = {}
    for record in records:
        materialization = record.asset_materialization
        value = materialization.metadata.get(field) if materialization else None
        if value is not None:
            out[materialization.partition] = value.value
    return out


def materialized_months(instance: dg.DagsterInstance, asset: str) -> list[str]:
    return sorted(instance.get_materialized_partitions(dg.AssetKey(asset)))


def feature_requests(
    kind: str,
    versions: dict[str, str],
    generation: int | str,
    reason: str,
    asset_selection: list[dg.AssetKey] | None = None,
) -> list[dg.RunRequest]:
    """One monthly_features run per contiguous stretch of `versions` (month -> version), each followed by
    the estimates of its months."""
    requests = []
    for first, last in contiguous_stretches(list(versions)):
        months = month_range(first, last)
        requests.append(
            dg.RunRequest(
                run_key=run_key(kind, {m: versions[m] for m in months}, generation),
                asset_selection=asset_selection,
                tags={
                    **_range_tags(first, last),
                    THEN_TAG: ESTIMATE,
                    REASON_TAG: f"{reason}: {first}" + (f"..{last}" if last != first else ""),
                },
            )
        )
    return requests


def request_changed(
    context: dg.SensorEvaluationContext,
    job_name: str,
    versions: dict[str, str],
    kind: str,
    reason: str,
    unchanged: str,
    built: Callable[[], dict[str, object]],
    asset_selection: list[dg.AssetKey] | None = None,
) -> dg.SensorResult:
    """Requests the months of `versions` (month -> version) whose version differs from the one last
    requested (the cursor), and advances the cursor over them. A month the instance already holds in that
    version (`built()`: month -> version it was built from; the runner, a backfill or the UI built it, or this
    is the first look) starts nothing; a month a run of `job_name` is building waits for a later tick."""
    cursor = VersionCursor.decode(context.cursor) or VersionCursor()
    changed = cursor.changed(versions)
    if changed:
        held = built()
        cursor = cursor.with_known({m: versions[m] for m in changed if str(held.get(m)) == versions[m]})
        changed = cursor.changed(versions)
    busy = months_in_progress(context.instance, job_name)
    ready = [m for m in changed if m not in busy]
    if not ready:
        waiting = f"; {len(changed)} changed month(s) wait for a run in progress" if changed else ""
        return dg.SensorResult(skip_reason=f"{len(versions)} {unchanged}{waiting}", cursor=cursor.encode())
    requests = feature_requests(kind, {m: versions[m] for m in ready}, cursor.generation, reason, asset_selection)
    return dg.SensorResult(run_requests=requests, cursor=cursor.advanced(versions, ready).encode())


def build_automation(
    region: RegionConfig,
    partitions: dg.PartitionsDefinition,
    *,
    features: dg.UnresolvedAssetJobDefinition,
    retrain: dg.UnresolvedAssetJobDefinition,
    outputs: dg.UnresolvedAssetJobDefinition,
    evaluation: dg.UnresolvedAssetJobDefinition,
) -> tuple[list[dg.SensorDefinition], list[dg.ScheduleDefinition]]:
    """The sensors and the schedule of a region's code location, launching these jobs."""
    status = default_status(region.name)
    schedule_status = dg.DefaultScheduleStatus(status.value)
    ntl_remote = region.nightlights.source != "local"

    def polling(location_remote: bool) -> int:
        return interval(REMOTE_INTERVAL_S if location_remote else LOCAL_INTERVAL_S)

    def source_versions(resource: RegionResource) -> dict[str, str]:
        """month -> version of every partition month that has a composite."""
        cfg = resource.config
        key = (str(cfg.root), repr(cfg.nightlights), cfg.satellites, cfg.configs)
        watcher = _WATCHERS.setdefault(key, MonthVersionWatcher())
        keys = set(partitions.get_partition_keys())
        return {m: v for m, v in watcher.versions(resource.nightlights).items() if m in keys}

    @dg.sensor(
        job=features,
        minimum_interval_seconds=polling(ntl_remote),
        default_status=status,
    )
    def nightlight_sensor(context: dg.SensorEvaluationContext, region: RegionResource) -> dg.SensorResult:
        """Looks for new and reprocessed VIIRS composites. A month whose composite appears (late or out of
        order included) or whose chosen file changes (a newer processing stamp) gets its features rebuilt,
        then its estimates and grid; no other month runs. Months that change together run as one
        partition-range run per contiguous stretch. Its first look compares the source with what the instance
        already holds, so a materialized region starts nothing."""
        return request_changed(
            context,
            features.name,
            source_versions(region),
            "composite",
            "new or reprocessed composite",
            unchanged="month(s) with a composite, none new or reprocessed",
            built=lambda: latest_partition_metadata(context.instance, "ntl_composite", "version"),
        )

    @dg.sensor(
        job=features,
        minimum_interval_seconds=polling(is_remote(region.resolve(region.pois_location))),
        default_status=status,
    )
    def poi_sensor(context: dg.SensorEvaluationContext, region: RegionResource) -> dg.SensorResult:
        """Looks for new and revised POI snapshots (by content). Every built month whose snapshot in force
        changes (the newest snapshot not after the month) gets its factory points and patches rebuilt, then
        its estimates and grid."""
        digests = {m: file_digest(region.poi_snapshot_file(name)) for m, name in region.poi_snapshots().items()}

        def built() -> dict[str, str]:
            snapshot = latest_partition_metadata(context.instance, "factories", "snapshot")
            sha = latest_partition_metadata(context.instance, "factories", "snapshot_sha256")
            return {m: f"{snapshot[m]}:{sha[m]}" for m in snapshot if m in sha}

        # only months with features: the others get the snapshot in force when their composite comes
        months = materialized_months(context.instance, "factory_patches")
        return request_changed(
            context,
            features.name,
            snapshots_in_force(digests, months),
            "poi",
            "POI snapshot in force changed",
            unchanged="built month(s), none with a new snapshot in force",
            built=built,
            asset_selection=FEATURE_ASSETS_FROM_POIS,
        )

    @dg.sensor(
        job=retrain,
        minimum_interval_seconds=polling(is_remote(region.resolve(region.statistics_location))),
        default_status=status,
    )
    def statistics_sensor(context: dg.SensorEvaluationContext, region: RegionResource) -> dg.SensorResult:
        """Looks for new or revised published statistics, by content hash (a revised value is a change even
        when the file's time is not). A change retrains the models on every labelled month; when the model
        version changes, every month is estimated again and the models are evaluated. Waits while monthly
        features are being built, so the models train on all of them."""
        try:
            path = region.statistics_file()
        except FileNotFoundError as exc:
            return dg.SensorResult(skip_reason=str(exc))
        versions = {"statistics": file_digest(path)}
        cursor = VersionCursor.decode(context.cursor)
        if cursor is None:
            latest = context.instance.get_latest_materialization_event(dg.AssetKey("gvio_statistics"))
            tags = latest.asset_materialization.tags if latest and latest.asset_materialization else {}
            built = (tags or {}).get(DATA_VERSION_TAG)
            cursor = VersionCursor().with_known({"statistics": built} if built else {})
        if not cursor.changed(versions):
            return dg.SensorResult(skip_reason=f"{path.name} unchanged", cursor=cursor.encode())
        if not materialized_months(context.instance, "factory_patches"):
            return dg.SensorResult(
                skip_reason="statistics changed; waiting for monthly features to train on", cursor=cursor.encode()
            )
        busy = months_in_progress(context.instance, features.name)
        if busy or context.instance.get_runs(dg.RunsFilter(job_name=retrain.name, statuses=UNFINISHED)):
            skip = f"statistics changed; retraining waits for the runs in progress ({len(busy)} month(s) of features)"
            return dg.SensorResult(skip_reason=skip, cursor=cursor.encode())
        request = dg.RunRequest(
            run_key=f"statistics {versions['statistics'][:16]} #{cursor.generation}",
            tags={THEN_TAG: ESTIMATE_ALL, REASON_TAG: f"{path.name} changed (sha256 {versions['statistics'][:12]})"},
        )
        return dg.SensorResult(run_requests=[request], cursor=cursor.advanced(versions, ["statistics"]).encode())

    chain = dict(
        run_status=dg.DagsterRunStatus.SUCCESS,
        minimum_interval_seconds=interval(CHAIN_INTERVAL_S),
        default_status=status,
    )

    @dg.run_status_sensor(monitored_jobs=[features], request_job=outputs, **chain)
    def estimate_updated_months(context: dg.RunStatusSensorContext):
        """When a sensor's monthly_features run succeeds, estimates and maps the same months with the model
        in use."""
        run = context.dagster_run
        if run.tags.get(THEN_TAG) != ESTIMATE:
            return dg.SkipReason(f"run {run.run_id} was not launched by a sensor")
        if context.instance.get_latest_materialization_event(dg.AssetKey("gvio_model")) is None:
            return dg.SkipReason("no trained model yet: the statistics sensor trains one, then estimates every month")
        months = run_months(run)
        return dg.RunRequest(
            run_key=f"after {run.run_id}",
            tags={
                **_range_tags(months[0], months[-1]),
                REASON_TAG: f"features of {months[0]}..{months[-1]} rebuilt (run {run.run_id[:8]})",
            },
        )

    @dg.run_status_sensor(monitored_jobs=[retrain], request_job=outputs, **chain)
    def estimate_after_retraining(context: dg.RunStatusSensorContext):
        """When a retraining launched by the statistics sensor succeeds with a new model version, estimates
        and maps again every month with features (one run per contiguous stretch)."""
        run = context.dagster_run
        if run.tags.get(THEN_TAG) != ESTIMATE_ALL:
            return dg.SkipReason(f"run {run.run_id} was not launched by a sensor")
        version = latest_metadata(context.instance, "gvio_model", "version")
        estimated = latest_partition_metadata(context.instance, "gvio_estimate", "model_version")
        redo = [m for m in materialized_months(context.instance, "factory_patches") if estimated.get(m) != version]
        if not redo:
            return dg.SkipReason(f"model {version} unchanged: every month is already estimated with it")
        return [
            dg.RunRequest(
                run_key=f"after {run.run_id} {first}..{last}",
                tags={
                    **_range_tags(first, last),
                    THEN_TAG: EVALUATE,
                    ROUND_TAG: run.run_id,
                    REASON_TAG: f"model {version} (run {run.run_id[:8]}): estimating {first}..{last} again",
                },
            )
            for first, last in contiguous_stretches(redo)
        ]

    @dg.run_status_sensor(monitored_jobs=[outputs], request_job=evaluation, **chain)
    def evaluate_after_estimates(context: dg.RunStatusSensorContext):
        """When every month has been estimated again after a retraining, scores the models on held-out
        months (model_evaluation)."""
        run = context.dagster_run
        round_id = run.tags.get(ROUND_TAG)
        if run.tags.get(THEN_TAG) != EVALUATE or not round_id:
            return dg.SkipReason(f"run {run.run_id} does not follow a retraining")
        runs = context.instance.get_runs(dg.RunsFilter(job_name=outputs.name, tags={ROUND_TAG: round_id}))
        unfinished = [r.run_id[:8] for r in runs if r.status in UNFINISHED]
        failed = [r.run_id[:8] for r in runs if r.status != dg.DagsterRunStatus.SUCCESS and r.status not in UNFINISHED]
        if unfinished:
            return dg.SkipReason(f"waiting for the estimates of run(s) {', '.join(unfinished)}")
        if failed:
            return dg.SkipReason(f"estimates failed in run(s) {', '.join(failed)}: evaluate after fixing them")
        return dg.RunRequest(
            run_key=f"evaluate {round_id}",
            tags={REASON_TAG: f"every month estimated with the model of run {round_id[:8]}"},
        )

    @dg.schedule(cron_schedule="0 6 1 * *", job=features, default_status=schedule_status, execution_timezone="UTC")
    def monthly_catch_up(context: dg.ScheduleEvaluationContext, region: RegionResource):
        """The safety net, on the first of every month: every month whose composite is not built in its
        current version (a failed run, sensors switched off) is requested again, then estimated."""
        versions = source_versions(region)
        built = latest_partition_metadata(context.instance, "ntl_composite", "version")
        patched = set(materialized_months(context.instance, "factory_patches"))
        busy = months_in_progress(context.instance, features.name)
        todo = {m: v for m, v in versions.items() if (built.get(m) != v or m not in patched) and m not in busy}
        if not todo:
            return dg.SkipReason(f"all {len(versions)} month(s) with a composite are built in their current version")
        stamp = context.scheduled_execution_time.strftime("%Y-%m-%d") if context.scheduled_execution_time else "now"
        return feature_requests("catch-up", todo, stamp, "catch-up: composite not built in its current version")

    sensors = [
        nightlight_sensor,
        poi_sensor,
        statistics_sensor,
        estimate_updated_months,
        estimate_after_retraining,
        evaluate_after_estimates,
    ]
    return sensors, [monthly_catch_up]


def latest_metadata(instance: dg.DagsterInstance, asset: str, field: str) -> object:
    """The value of metadata `field` on the latest materialization of an unpartitioned asset (None if none)."""
    event = instance.get_latest_materialization_event(dg.AssetKey(asset))
    value = event.asset_materialization.metadata.get(field) if event and event.asset_materialization else None
    return value.value if value is not None else None
