"""The outputs contract: where each asset's files live under the storage root (documented in the README).
One folder per asset, named like the asset; one file per month, `YYYY-MM.<ext>`."""

from __future__ import annotations

EXTENSIONS = {
    "ntl_composite": "tif",
    "ntl_clean": "tif",
    "factories": "parquet",
    "factory_patches": "parquet",
    "gvio_estimate": "parquet",
    "gvio_factory": "parquet",
    "gvio_grid": "tif",
    "gvio_by_district": "parquet",
    # under a catalogue's storage root, beside its regions' folders: every region's month side by side
    "gvio_regions": "parquet",
}


def month_file(asset: str, month: str) -> str:
    return f"{asset}/{month}.{EXTENSIONS[asset]}"


STATISTICS_FILE = "gvio_statistics/gvio_monthly.parquet"


def quarantine_file(snapshot_month: str) -> str:
    """Rows of a POI snapshot that could not be used, with line numbers and reasons."""
    return f"quarantine/pois/{snapshot_month}.csv"


def months_stored(keys: list[str], asset: str) -> list[str]:
    """Months of an asset's files among storage keys (`asset/YYYY-MM.ext`)."""
    suffix = "." + EXTENSIONS[asset]
    return sorted(k[len(asset) + 1 : -len(suffix)] for k in keys if k.endswith(suffix))


MODEL_CURRENT = "gvio_model/current.json"


def model_folder(version: str) -> str:
    """Everything needed to estimate with one trained model version: registry.json, one folder per model."""
    return f"gvio_model/{version}"


EVALUATION_SUMMARY = "evaluation/summary.json"


def preview_file(asset: str, month: str) -> str:
    """The PNG map of an asset's month shown in the Dagster UI, kept next to the outputs."""
    return f"previews/{asset}/{month}.png"


ESTIMATES_CHART = "previews/gvio_estimates.png"
