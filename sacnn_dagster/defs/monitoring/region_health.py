"""`region_health`: the region's health summary on one page of the UI. An asset that nothing computes: the
freshness sensor records a new version of it whenever the summary changes (the same summary that
`sacnn-dagster status` prints)."""

from __future__ import annotations

import dagster as dg

from sacnn_dagster.defs.asset_keys import RegionKeys
from sacnn_dagster.monitoring.health import HealthSummary

REGION_HEALTH = "region_health"

region_health = dg.AssetSpec(
    REGION_HEALTH,
    group_name="monitoring",
    description=(
        "Is the region up to date and sound? For each source and output: the newest month built, the months "
        "missing and whether the month due is late (the deadlines of region.yaml `monitoring:`); the checks "
        "failing now and the last failed run. Kept up to date by freshness_sensor (its latest materialization "
        "is the summary at that time); `sacnn-dagster status --region DIR` prints the same in a terminal."
    ),
    kinds={"dagster"},
)


def health_metadata(summary: HealthSummary) -> dict[str, dg.RawMetadataValue]:
    return {
        "summary": dg.MetadataValue.md(summary.markdown()),
        "ok": summary.ok,
        "overdue": ", ".join(a.verdict.asset for a in summary.overdue) or "none",
        "failing_checks": len(summary.failing_checks),
        "last_failed_run": summary.last_failed_run.run_id if summary.last_failed_run else "none",
    }


def health_materialization(summary: HealthSummary, keys: RegionKeys) -> dg.AssetMaterialization:
    return dg.AssetMaterialization(keys(REGION_HEALTH), metadata=health_metadata(summary))


def recorded_summary(instance: dg.DagsterInstance, keys: RegionKeys) -> str | None:
    """The summary text of the region's region_health latest materialization, None if it has none."""
    event = instance.get_latest_materialization_event(keys(REGION_HEALTH))
    if event is None or event.asset_materialization is None:
        return None
    value = event.asset_materialization.metadata.get("summary")
    return None if value is None else str(value.value)
