"""Regions side by side: one row per region and month (the selected estimate, its interval, the published value
when the month was published on its own, the model), and a chart of the regions' monthly series."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from sacnn_dagster.reports.previews import month_dates, to_png

COLUMNS = ["region", "month", "estimate", "lower", "upper", "published", "model", "model_version"]


def region_row(region: str, month: str, estimates: pd.DataFrame, statistics: pd.DataFrame | None) -> dict:
    """The row of one region's month. `estimates`: the month's gvio_estimate table (one row per model, `selected`
    marks the served one); `statistics`: the region's stored statistics table (None when there is none)."""
    served = estimates[estimates["selected"]] if estimates["selected"].any() else estimates.head(1)
    row = served.iloc[0]
    published = None
    if statistics is not None:
        alone = statistics[(statistics["n_months"] == 1) & (statistics["first_month"] == month)]
        published = float(alone["gvio"].iloc[0]) if len(alone) else None
    return {
        "region": region,
        "month": month,
        "estimate": float(row["estimate"]),
        "lower": float(row["lower"]),
        "upper": float(row["upper"]),
        "published": published,
        "model": str(row["model"]),
        "model_version": str(row["model_version"]),
    }


def regions_tables(rows: list[dict]) -> dict[str, pd.DataFrame]:
    """The rows as one table per month (regions sorted by name): `gvio_regions/YYYY-MM.parquet`."""
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["published"] = table["published"].astype("float64")
    return {
        month: rows.sort_values("region").reset_index(drop=True)[COLUMNS]
        for month, rows in table.groupby("month", sort=True)
    }


def regions_chart_png(rows: list[dict], units: str = "GVIO") -> bytes:
    """Each region's served monthly estimate as a line, its published months as dots of the same colour."""
    table = pd.DataFrame(rows, columns=COLUMNS)
    figure = Figure(figsize=(7.2, 4.0), dpi=100)
    ax = figure.add_axes((0.09, 0.27, 0.88, 0.65))
    for i, (region, series) in enumerate(table.sort_values("month").groupby("region", sort=True)):
        x = month_dates(series["month"])
        ax.plot(x, series["estimate"], color=f"C{i % 10}", linewidth=1.4, label=region)
        published = series.dropna(subset=["published"])
        ax.plot(month_dates(published["month"]), published["published"], "o", color=f"C{i % 10}", markersize=2.5)
    ax.set_ylabel(units, fontsize=8)
    ax.set_title("Monthly GVIO by region: served estimates (lines) and published values (dots)", fontsize=10)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3, linewidth=0.5)
    figure.legend(loc="lower center", ncols=min(5, max(1, table["region"].nunique())), fontsize=7, frameon=False)
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return to_png(Image.fromarray(np.asarray(canvas.buffer_rgba())))
