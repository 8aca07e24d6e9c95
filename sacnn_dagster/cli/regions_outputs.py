"""The regions side by side, written by `run --regions` after every region: `<storage>/gvio_regions/YYYY-MM.parquet`
(region, month, selected estimate, interval, published value, model) and `<storage>/previews/gvio_regions.png`,
the regions' monthly series in one chart. Local storage only (an S3 root: not written, said so)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from sacnn_dagster.io.atomic import atomic_path
from sacnn_dagster.io.layout import STATISTICS_FILE, month_file, months_stored
from sacnn_dagster.reports.regions_table import region_row, regions_chart_png, regions_tables

REGIONS_FOLDER = "gvio_regions"
REGIONS_CHART = "previews/gvio_regions.png"


def region_rows(name: str, root: Path) -> list[dict]:
    folder = root / "gvio_estimate"
    keys = [f"gvio_estimate/{p.name}" for p in folder.glob("*.parquet")] if folder.is_dir() else []
    statistics_path = root / STATISTICS_FILE
    statistics = pd.read_parquet(statistics_path) if statistics_path.is_file() else None
    return [
        region_row(name, month, pd.read_parquet(root / month_file("gvio_estimate", month)), statistics)
        for month in months_stored(keys, "gvio_estimate")
    ]


def write_regions_outputs(
    storages: dict[str, str], storage_root: str, echo: Callable[[str], None] = print
) -> list[str]:
    """From each region's stored estimates (`storages`: region name -> its storage root), one table per month
    under `storage_root`; the months written."""
    if storage_root.startswith("s3://"):
        echo("gvio_regions: not written on S3 storage (local storage only for now)")
        return []
    rows = [row for name, root in storages.items() for row in region_rows(name, Path(root))]
    if not rows:
        return []
    root = Path(storage_root)
    tables = regions_tables(rows)
    for month, table in tables.items():
        final = root / REGIONS_FOLDER / f"{month}.parquet"
        final.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(final) as tmp:
            table.to_parquet(tmp, index=False)
    chart = root / REGIONS_CHART
    chart.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(chart) as tmp:
        tmp.write_bytes(regions_chart_png(rows))
    months = sorted(tables)
    echo(f"gvio_regions: {len(months)} month(s) {months[0]}..{months[-1]} side by side in {root / REGIONS_FOLDER}")
    return months
