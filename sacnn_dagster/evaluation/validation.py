"""Validation of the GVIO grid against independent truth: a true grid (synthetic regions) or district
totals by year (statistical yearbooks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sacnn_dagster.evaluation.metrics import r2

#: The columns of `validation/district_gvio_annual.csv`.
DISTRICT_TRUTH_COLUMNS = ("year", "district", "gvio")


class ValidationDataError(ValueError):
    """A file under the region's `validation/` folder that cannot be compared with the outputs. Only the
    evaluation depends on it: the estimates and grids stand without it, so `run` tells it as a warning."""

    def __init__(self, path: str | Path, reason: str):
        self.path = Path(path)
        super().__init__(f"validation file {path}: {reason}")


def read_district_truth(path: Path) -> pd.DataFrame:
    """`validation/district_gvio_annual.csv`: year, district, gvio (ValidationDataError naming the file
    when it cannot be read as such)."""
    try:
        truth = pd.read_csv(path, dtype={"district": str})
    except (ValueError, OSError, UnicodeDecodeError) as exc:  # pandas' ParserError is a ValueError
        raise ValidationDataError(path, f"not a readable CSV ({exc})") from exc
    missing = [c for c in DISTRICT_TRUTH_COLUMNS if c not in truth.columns]
    if missing:
        raise ValidationDataError(
            path, f"no column(s) {', '.join(missing)} (expected {','.join(DISTRICT_TRUTH_COLUMNS)})"
        )
    try:
        return truth.assign(year=truth["year"].astype(int), gvio=truth["gvio"].astype(float))
    except (ValueError, TypeError) as exc:
        raise ValidationDataError(path, f"year must be whole numbers and gvio numbers ({exc})") from exc


@dataclass
class PooledR2:
    """R² over many arrays without holding them all: running sums of y, y² and squared residuals."""

    n: int = 0
    sum_y: float = 0.0
    sum_y2: float = 0.0
    sum_res2: float = 0.0
    per_month: dict[str, float] = field(default_factory=dict)

    def add(self, label: str, observed: np.ndarray, predicted: np.ndarray) -> None:
        ok = np.isfinite(observed) & np.isfinite(predicted)
        y, p = observed[ok].astype(np.float64), predicted[ok].astype(np.float64)
        self.n += y.size
        self.sum_y += y.sum()
        self.sum_y2 += (y * y).sum()
        self.sum_res2 += ((y - p) ** 2).sum()
        self.per_month[label] = r2(y, p)

    @property
    def r2(self) -> float:
        ss_tot = self.sum_y2 - self.sum_y**2 / self.n if self.n else 0.0
        return float(1.0 - self.sum_res2 / ss_tot) if ss_tot > 0 else float("nan")


def district_sums(grid: np.ndarray, district_index: np.ndarray, n_districts: int) -> np.ndarray:
    """Sum of a grid per district; `district_index` is -1 outside every district."""
    ok = (district_index >= 0) & np.isfinite(grid)
    return np.bincount(district_index[ok], weights=grid[ok], minlength=n_districts)


def annual_district_r2(monthly: pd.DataFrame, truth: pd.DataFrame) -> dict:
    """`monthly`: month, district, gvio from the grid; `truth`: year, district, gvio. Only years with all
    twelve months of grids are compared."""
    monthly = monthly.assign(year=monthly["month"].str[:4].astype(int))
    months_per_year = monthly.groupby("year")["month"].nunique()
    complete = months_per_year[months_per_year == 12].index
    annual = monthly[monthly["year"].isin(complete)].groupby(["year", "district"], as_index=False)["gvio"].sum()
    joined = annual.merge(truth, on=["year", "district"], suffixes=("_grid", "_true"))
    if joined.empty:
        return {"r2": None, "pairs": 0, "years": []}
    return {
        "r2": r2(joined["gvio_true"], joined["gvio_grid"]),
        "pairs": len(joined),
        "years": sorted(int(y) for y in joined["year"].unique()),
    }
