"""Monthly partitions, defined once for the whole code location from the region's months."""

from __future__ import annotations

import dagster as dg

from sacnn_dagster.config.months import add_months
from sacnn_dagster.config.region import RegionConfig


def monthly_partitions(region: RegionConfig) -> dg.MonthlyPartitionsDefinition:
    """One partition per calendar month from the region's start month to its end month (inclusive), or
    to the last complete month when the region has no end."""
    return dg.MonthlyPartitionsDefinition(
        start_date=region.start,
        end_date=add_months(region.end, 1) if region.end else None,
        fmt="%Y-%m",
    )
