"""The freshness checks: one `freshness` check on each monthly source and output asset (and on the published
statistics), failing when the month due by the region's deadlines (region.yaml `monitoring:`) is not built.
The freshness sensor evaluates them on the daemon's schedule (freshness_sensor.py); the pipeline's own jobs
leave them out (jobs.py), so that a build never fails for being late. "Execute" in the asset's Checks tab
evaluates them on demand, in a run."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import dagster as dg

from sacnn_dagster.config.region import RegionConfig
from sacnn_dagster.defs.asset_keys import RegionKeys
from sacnn_dagster.defs.monitoring.instance_state import verdicts
from sacnn_dagster.monitoring.freshness import FRESHNESS_CHECK, Verdict

__all__ = ["FRESHNESS_CHECK", "build_freshness_checks", "evaluation", "monitored_assets", "verdict_metadata"]


def monitored_assets(has_districts: bool) -> list[str]:
    """The assets with a freshness check: the sources and the monthly outputs users read."""
    return [
        "ntl_composite",
        "gvio_statistics",
        "gvio_estimate",
        "gvio_grid",
        *(["gvio_by_district"] if has_districts else []),
    ]


def verdict_metadata(verdict: Verdict) -> dict[str, dg.RawMetadataValue]:
    """What a freshness result shows in the Checks tab (and what the alerts read back)."""
    metadata: dict[str, dg.RawMetadataValue] = {
        "due_month": verdict.due.month if verdict.due else "",
        "newest_month": verdict.latest or "",
        "overdue_month": verdict.overdue_month or "",
    }
    if verdict.due:
        metadata["due_since"] = dg.MetadataValue.timestamp(verdict.due.since)
        metadata["due_since_text"] = verdict.due.since_text
    if verdict.next_deadline:
        metadata["next_deadline"] = dg.MetadataValue.timestamp(verdict.next_deadline)
    return metadata


def evaluation(verdict: Verdict, keys: RegionKeys) -> dg.AssetCheckEvaluation:
    """The verdict as a check evaluation the sensor reports to the instance (no run needed)."""
    return dg.AssetCheckEvaluation(
        asset_key=keys(verdict.asset),
        check_name=FRESHNESS_CHECK,
        passed=verdict.passed,
        metadata=verdict_metadata(verdict),
        severity=dg.AssetCheckSeverity.ERROR,
        description=verdict.description,
    )


def build_freshness_checks(region: RegionConfig, keys: RegionKeys, assets: Iterable[str]) -> dg.AssetChecksDefinition:
    """The checks on the assets named `assets`, built on bare names (RegionKeys.apply prefixes them)."""
    days = region.monitoring

    @dg.multi_asset_check(
        name="freshness_checks",
        specs=[
            dg.AssetCheckSpec(
                FRESHNESS_CHECK,
                asset=asset,
                description=(
                    "Is the newest month that is due built? A month's composite is due "
                    f"{days.nightlights_due_days} days after the month ends, its statistics "
                    f"{days.statistics_due_days} days after (January with February), its estimate and grid "
                    f"{days.outputs_due_days} days after its composite (region.yaml `monitoring:`). Evaluated by "
                    "freshness_sensor."
                ),
            )
            for asset in assets
        ],
        can_subset=True,
    )
    def freshness_checks(context):
        selected = sorted(RegionKeys.name(k.asset_key) for k in context.selected_asset_check_keys)
        for verdict in verdicts(context.instance, region, keys, selected, datetime.now(UTC)):
            yield dg.AssetCheckResult(
                asset_key=keys(verdict.asset),
                check_name=FRESHNESS_CHECK,
                passed=verdict.passed,
                severity=dg.AssetCheckSeverity.ERROR,
                description=verdict.description,
                metadata=verdict_metadata(verdict),
            )

    return freshness_checks
