"""What the runs an automation launches say: why (for the UI's run list), what follows when they succeed,
and which months they cover."""

from __future__ import annotations

import dagster as dg

from sacnn_dagster.config.months import month_range
from sacnn_dagster.defs.dagster_private import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from sacnn_dagster.defs.jobs import REGION_TAG

#: Why a sensor launched a run, for the UI's run list.
REASON_TAG = "sacnn/reason"
#: What follows when the run succeeds.
THEN_TAG = "sacnn/then"
ESTIMATE, ESTIMATE_ALL, EVALUATE = "estimate", "estimate_all", "evaluate"
#: The retraining run whose re-estimates an evaluation waits for.
ROUND_TAG = "sacnn/round"


def region_runs(job_name: str, region: str, tags: dict[str, str] | None = None, **filters) -> dg.RunsFilter:
    """The runs of the region's job `job_name` (with `tags`, and Dagster's other `filters` such as statuses)."""
    return dg.RunsFilter(job_name=job_name, tags={REGION_TAG: region, **(tags or {})}, **filters)


def range_tags(first: str, last: str) -> dict[str, str]:
    """The tags of a run over the months `first`..`last` (one partition-range run)."""
    return {ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last}


def run_months(run: dg.DagsterRun) -> list[str]:
    """The months a monthly run covers (a partition range, or one partition launched from the UI)."""
    first, last = run.tags.get(ASSET_PARTITION_RANGE_START_TAG), run.tags.get(ASSET_PARTITION_RANGE_END_TAG)
    if first and last:
        return month_range(first, last)
    single = run.tags.get("dagster/partition")
    return [single] if single else []
