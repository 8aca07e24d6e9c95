"""How the stored grids compare with the truth where a region has it: the true grids of a synthetic region,
published district totals by year. A validation file that cannot be compared raises `ValidationDataError`
naming it; `grid_scores` turns that into a problem recorded beside the scores, so that a bad validation
file never takes the evaluation (or the run) down with it."""

from pathlib import Path

import numpy as np
import pandas as pd
import rasterio

from sacnn_dagster.defs.resources.storage import OutputStorage
from sacnn_dagster.evaluation.validation import (
    PooledR2,
    ValidationDataError,
    annual_district_r2,
    read_district_truth,
)
from sacnn_dagster.geo.cog import read_band
from sacnn_dagster.geo.on_grid import read_on_grid
from sacnn_dagster.io.layout import month_file


def read_truth_grid(path: Path, grid) -> tuple[np.ndarray, str]:
    """A true grid on the stored grid's pixels (see `read_on_grid`: windowed on the same lattice, summed
    onto ours from another); ValidationDataError naming the file when it cannot be."""
    try:
        return read_on_grid(path, grid)
    except (OSError, rasterio.errors.RasterioError) as exc:
        raise ValidationDataError(path, f"not a readable GeoTIFF ({exc})") from exc
    except ValueError as exc:
        raise ValidationDataError(path, str(exc)) from exc


def grid_validation(
    storage: OutputStorage, months: list[str], truth_dir: Path, problems: list[str] | None = None
) -> dict | None:
    """R² of the stored grids against the true grids, pooled over every pixel of every month. A true grid
    that cannot be read onto ours raises ValidationDataError, or, given a `problems` list, is told there and
    left out (the other months still score)."""
    pooled = PooledR2()
    how: set[str] = set()
    for month in months:
        truth_path = truth_dir / f"{month}.tif"
        if not truth_path.is_file():
            continue
        with storage.reading(month_file("gvio_grid", month)) as path:
            grid, lattice = read_band(path)
        try:
            truth, read_as = read_truth_grid(truth_path, lattice)
        except ValidationDataError as exc:
            if problems is None:
                raise
            problems.append(str(exc))
            continue
        how.add(read_as)
        pooled.add(month, truth, grid)
    if not pooled.per_month:
        return None
    per_month = np.array(list(pooled.per_month.values()))
    return {
        "r2": pooled.r2,
        "months": len(per_month),
        "median_monthly_r2": float(np.nanmedian(per_month)),
        "read_as": sorted(how),
    }


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
    truth = read_district_truth(truth_csv)
    return annual_district_r2(pd.concat(frames, ignore_index=True), truth)


def grid_scores(storage: OutputStorage, months: list[str], validation_dir: Path) -> dict:
    """The grid's scores for `evaluation/summary.json`: against the true grids (`validation/grid/`) and the
    district totals (`validation/district_gvio_annual.csv`), each None where the region has no such file.
    A file that cannot be compared is left out of its score (the district score is then None; the true grid
    scores on its other months) and named in `problems`."""
    problems: list[str] = []
    true_grid = grid_validation(storage, months, validation_dir / "grid", problems)
    try:
        district = district_validation(storage, months, validation_dir / "district_gvio_annual.csv")
    except ValidationDataError as exc:
        problems.append(str(exc))
        district = None
    return {
        "r2_vs_true_grid": true_grid["r2"] if true_grid else None,
        "r2_vs_district": district["r2"] if district else None,
        "true_grid": true_grid,
        "district": district,
        "problems": problems,
    }
