"""How the stored grids compare with the truth where a region has it: the true grids of a synthetic region,
published district totals by year."""

from pathlib import Path

import numpy as np
import pandas as pd

from sacnn_dagster.defs.resources.storage import OutputStorage
from sacnn_dagster.evaluation.validation import PooledR2, annual_district_r2
from sacnn_dagster.geo.cog import read_band
from sacnn_dagster.io.layout import month_file


def grid_validation(storage: OutputStorage, months: list[str], truth_dir: Path) -> dict | None:
    """R² of the stored SA-CNN grids against the true grids, pooled over every pixel of every month."""
    pooled = PooledR2()
    for month in months:
        truth_path = truth_dir / f"{month}.tif"
        if not truth_path.is_file():
            continue
        truth, _ = read_band(truth_path)
        with storage.reading(month_file("gvio_grid", month)) as path:
            grid, _ = read_band(path)
        if truth.shape != grid.shape:
            raise ValueError(f"{truth_path}: shape {truth.shape} differs from the grid's {grid.shape}")
        pooled.add(month, truth, grid)
    if not pooled.per_month:
        return None
    per_month = np.array(list(pooled.per_month.values()))
    return {"r2": pooled.r2, "months": len(per_month), "median_monthly_r2": float(np.nanmedian(per_month))}


def district_validation(storage: OutputStorage, months: list[str], truth_csv: Path) -> dict | None:
    """R² of the grid summed by district and year against published district totals."""
    if not truth_csv.is_file():
        return None
    frames = []
    for month in months:
        key = month_file("gvio_by_district", month)
        if storage.exists(key):
            with storage.reading(key) as path:
                frames.append(pd.read_parquet(path).assign(month=month))
    if not frames:
        return None
    truth = pd.read_csv(truth_csv, dtype={"district": str})
    return annual_district_r2(pd.concat(frames, ignore_index=True), truth)
