"""What the sensors ask the Dagster instance: which months are built, from what, and which are being built."""

from __future__ import annotations

import dagster as dg

from sacnn_dagster.defs.automation.run_tags import region_runs, run_months

#: Queued, starting, started... everything but the three ends.
UNFINISHED = [
    s
    for s in dg.DagsterRunStatus
    if s not in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)
]
#: Dagster's tag holding a materialization's data version.
DATA_VERSION_TAG = "dagster/data_version"


def months_in_progress(instance: dg.DagsterInstance, job_name: str, region: str) -> set[str]:
    """Months being built by unfinished runs of the region's `job_name`: a sensor leaves them for a later tick,
    so two runs never write the same month at once (the older could finish last)."""
    runs = instance.get_runs(region_runs(job_name, region, statuses=UNFINISHED))
    return {month for run in runs for month in run_months(run)}


def latest_partition_metadata(instance: dg.DagsterInstance, asset: dg.AssetKey, field: str) -> dict[str, object]:
    """month -> the value of metadata `field` on the latest materialization of each partition of `asset`:
    what each month was last built from (source version, snapshot, model version)."""
    key = asset
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


def latest_metadata(instance: dg.DagsterInstance, asset: dg.AssetKey, field: str) -> object:
    """The value of metadata `field` on the latest materialization of an unpartitioned asset (None if none)."""
    event = instance.get_latest_materialization_event(asset)
    value = event.asset_materialization.metadata.get(field) if event and event.asset_materialization else None
    return value.value if value is not None else None


def latest_tag(instance: dg.DagsterInstance, asset: dg.AssetKey, tag: str) -> str | None:
    """The value of `tag` on the latest materialization of an unpartitioned asset (None if none)."""
    event = instance.get_latest_materialization_event(asset)
    tags = event.asset_materialization.tags if event and event.asset_materialization else {}
    return (tags or {}).get(tag)


def materialized_months(instance: dg.DagsterInstance, asset: dg.AssetKey) -> list[str]:
    return sorted(instance.get_materialized_partitions(asset))
