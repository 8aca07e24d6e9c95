"""`gvio_regions`: the regions of a catalogue side by side, one table per month and a chart, kept current by
`gvio_regions_sensor` whenever a region's estimates change (and written by `run --regions` after its regions)."""

from __future__ import annotations

import dagster as dg
import pandas as pd

from sacnn_dagster.defs.automation.run_tags import REASON_TAG
from sacnn_dagster.defs.automation.settings import CHAIN_INTERVAL_S, interval
from sacnn_dagster.defs.catalogue.region_catalogue import CATALOGUE_GROUP
from sacnn_dagster.defs.code_location import OWNER
from sacnn_dagster.defs.common.previews import GVIO_PER_MONTH, stored_picture
from sacnn_dagster.defs.resources.storage import OutputStorage
from sacnn_dagster.io.layout import STATISTICS_FILE, month_file, months_stored
from sacnn_dagster.reports.regions_table import COLUMNS, region_row, regions_chart_png, regions_tables

GVIO_REGIONS = "gvio_regions"
GVIO_REGIONS_JOB = "gvio_regions_job"
REGIONS_CHART = "previews/gvio_regions.png"


def region_rows(name: str, storage: OutputStorage, months: list[str] | None = None) -> list[dict]:
    """One row per month the region `name` has an estimate for (its storage: `<catalogue storage>/<name>/`), or
    for those of `months`."""
    statistics = None
    if storage.exists(STATISTICS_FILE):
        with storage.reading(STATISTICS_FILE) as path:
            statistics = pd.read_parquet(path)
    rows = []
    for month in months if months is not None else estimated_months(storage):
        with storage.reading(month_file("gvio_estimate", month)) as path:
            rows.append(region_row(name, month, pd.read_parquet(path), statistics))
    return rows


def estimated_months(storage: OutputStorage) -> list[str]:
    return months_stored(storage.list_keys("gvio_estimate"), "gvio_estimate")


def newest_row(name: str, storage: OutputStorage) -> dict | None:
    """The row of the region's newest estimated month (its file alone read), None before any."""
    months = estimated_months(storage)
    return region_rows(name, storage, months[-1:])[0] if months else None


def _markdown(table: pd.DataFrame) -> str:
    cells = [[f"{v:.2f}" if isinstance(v, float) else str(v) for v in row] for row in table.itertuples(index=False)]
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + " --- |" * len(COLUMNS)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in cells])


def write_gvio_regions(regions: list[str], storage: OutputStorage) -> dict[str, dg.RawMetadataValue]:
    """Every month's table and the chart under `storage` (the catalogue's root), from each region's stored
    estimates; a month no region has any more is removed. The metadata shown in the UI."""
    rows = [row for name in regions for row in region_rows(name, storage.under(name))]
    if not rows:
        raise dg.Failure(f"none of the {len(regions)} region(s) has an estimate yet: nothing to put side by side")
    tables = regions_tables(rows)
    for month, table in tables.items():
        with storage.writing(month_file(GVIO_REGIONS, month)) as tmp:
            table.to_parquet(tmp, index=False)
    for stale in set(months_stored(storage.list_keys(GVIO_REGIONS), GVIO_REGIONS)) - set(tables):
        storage.remove(month_file(GVIO_REGIONS, stale))
    months = sorted(tables)
    caption = f"Served monthly estimates of {len(set(r['region'] for r in rows))} region(s), {GVIO_PER_MONTH}"
    return {
        "chart": stored_picture(storage, REGIONS_CHART, regions_chart_png(rows), caption),
        "regions_with_estimates": len({r["region"] for r in rows}),
        "months": len(months),
        "first_month": months[0],
        "last_month": months[-1],
        "latest_month": dg.MetadataValue.md(_markdown(tables[months[-1]])),
        "path": dg.MetadataValue.path(storage.uri(GVIO_REGIONS)),
    }


def build_gvio_regions(regions: list[str], estimate_keys: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(name=GVIO_REGIONS, group_name=CATALOGUE_GROUP, deps=estimate_keys, owners=[OWNER], kinds={"parquet"})
    def gvio_regions(storage: OutputStorage) -> dg.MaterializeResult:
        """The regions of the catalogue side by side: for each month, one row per region with its served
        estimate, the 90 % interval, the published value when that month was published on its own, and the model
        (`gvio_regions/YYYY-MM.parquet` under the catalogue's storage), and a chart of every region's monthly
        series (`previews/gvio_regions.png`, shown here). Regions start and end at different months: a month
        holds the regions that have it. Rebuilt by gvio_regions_sensor when a region's estimates change."""
        return dg.MaterializeResult(metadata=write_gvio_regions(regions, storage))

    return gvio_regions


def build_gvio_regions_sensor(
    estimate_keys: list[dg.AssetKey], job: dg.UnresolvedAssetJobDefinition, status: dg.DefaultSensorStatus
) -> dg.SensorDefinition:
    @dg.sensor(job=job, minimum_interval_seconds=interval(CHAIN_INTERVAL_S), default_status=status)
    def gvio_regions_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        """When a region's estimates were materialized after gvio_regions was last built, puts the regions side by
        side again. It compares the instance's records, not a cursor: a restart, or `run --regions` having built
        gvio_regions already, starts nothing; one query for every region, so a tick with nothing new stays cheap."""
        latest = {
            record.asset_entry.asset_key: record.asset_entry.last_materialization_record.storage_id
            for record in context.instance.get_asset_records([*estimate_keys, dg.AssetKey(GVIO_REGIONS)])
            if record.asset_entry.last_materialization_record is not None
        }
        built = latest.pop(dg.AssetKey(GVIO_REGIONS), 0)
        newer = sorted(key.path[0] for key, storage_id in latest.items() if storage_id > built)
        if not newer:
            return dg.SkipReason(f"gvio_regions is newer than the estimates of all {len(latest)} region(s)")
        # the key makes one run per set of new estimates, however many ticks see them before it finishes
        return dg.RunRequest(
            run_key=f"{GVIO_REGIONS} after {max(latest.values())}",
            tags={REASON_TAG: f"new estimates of {', '.join(newer)}"},
        )

    return gvio_regions_sensor
