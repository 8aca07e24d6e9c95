"""The outputs contract: where each asset's files live under the storage root (documented in the README).
One folder per asset, named like the asset; one file per month, `YYYY-MM.<ext>`."""

from __future__ import annotations

EXTENSIONS = {
    "ntl_composite": "tif",
    "ntl_clean": "tif",
    "factories": "parquet",
    "factory_patches": "parquet",
}


def month_file(asset: str, month: str) -> str:
    return f"{asset}/{month}.{EXTENSIONS[asset]}"


STATISTICS_FILE = "gvio_statistics/gvio_monthly.parquet"


def quarantine_file(snapshot_month: str) -> str:
    """Rows of a POI snapshot that could not be used, with line numbers and reasons."""
    return f"quarantine/pois/{snapshot_month}.csv"
