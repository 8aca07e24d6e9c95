"""Pictures in the asset metadata, where people would rather look than read: the map of each month's
cleaned night light and GVIO grid, the chart of monthly estimates against the statistics. Each is shown
inline in the Dagster UI (markdown with a data: image) and also stored under `previews/` in the storage,
so it can be opened or linked without the UI."""

from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd

from sacnn_dagster.defs.resources.storage import OutputStorage
from sacnn_dagster.features.cleaning import CleanedNTL
from sacnn_dagster.geo.grid import Grid
from sacnn_dagster.io.layout import ESTIMATES_CHART, STATISTICS_FILE, month_file, months_stored, preview_file
from sacnn_dagster.reports.previews import Layer, estimates_chart_png, map_png, markdown_image

#: Units as written on the pictures (see reports/previews.py on 亿元) and around them.
GVIO_PER_PIXEL = "GVIO, 10⁸ yuan per pixel"
GVIO_PER_MONTH = "GVIO, 10⁸ yuan per month"
RADIANCE = "radiance, nW/cm²/sr"


def stored_picture(storage: OutputStorage, key: str, png: bytes, caption: str) -> dg.MetadataValue:
    """Store the PNG under `key` and return the metadata that shows it, with its caption and location."""
    with storage.writing(key) as tmp:
        Path(tmp).write_bytes(png)
    return dg.MetadataValue.md(f"{markdown_image(png, caption)}\n\n{caption}. Stored at `{storage.uri(key)}`.")


def ntl_map(storage: OutputStorage, month: str, cleaned: CleanedNTL, grid: Grid) -> dg.MetadataValue:
    png = map_png(
        cleaned.radiance,
        grid.bounds,
        f"Cleaned night light, {month}",
        RADIANCE,
        "magma",
        (Layer(cleaned.not_observed, "lightsteelblue", "not observed (no cloud-free night)"),),
    )
    caption = f"Cleaned night light {month}, nW/cm²/sr (square-root colour scale)"
    return stored_picture(storage, preview_file("ntl_clean", month), png, caption)


def gvio_map(storage: OutputStorage, month: str, gvio: np.ndarray, grid: Grid, estimate: float) -> dg.MetadataValue:
    png = map_png(
        gvio,
        grid.bounds,
        f"GVIO {month}: {estimate:.1f} × 10⁸ yuan in all",
        GVIO_PER_PIXEL,
        "YlOrRd",
        (Layer(gvio == 0, "gainsboro", "no industrial output"),),
    )
    caption = f"GVIO {month}, 亿元 per pixel (square-root colour scale); SA-CNN estimate {estimate:.2f} 亿元"
    return stored_picture(storage, preview_file("gvio_grid", month), png, caption)


def estimates_chart(storage: OutputStorage) -> dg.MetadataValue:
    """Every stored month's estimates against the published statistics."""
    frames = []
    for month in months_stored(storage.list_keys("gvio_estimate"), "gvio_estimate"):
        with storage.reading(month_file("gvio_estimate", month)) as path:
            frames.append(pd.read_parquet(path).assign(month=month))
    if not frames:
        raise FileNotFoundError(f"no estimates under {storage.uri('gvio_estimate')}: materialize gvio_estimate first")
    estimates = pd.concat(frames, ignore_index=True)
    with storage.reading(STATISTICS_FILE) as path:
        statistics = pd.read_parquet(path)
    png = estimates_chart_png(estimates, statistics, GVIO_PER_MONTH)
    versions = ", ".join(sorted(estimates["model_version"].unique()))
    caption = (
        f"Monthly GVIO (亿元): estimates of {estimates['month'].nunique()} months with their intervals "
        f"(model version {versions}) against {len(statistics)} published values"
    )
    return stored_picture(storage, ESTIMATES_CHART, png, caption)
