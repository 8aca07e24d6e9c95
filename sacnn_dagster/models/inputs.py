"""What a model sees of a dataset: the per-factory tables and the month statistics, gap-filled (`gapfill`)
or as they are, cut or padded to the factories the model was trained with."""

from __future__ import annotations

import numpy as np

from sacnn_dagster.models.dataset import MonthlyDataset
from sacnn_dagster.models.gapfill import fill_scalars, fill_tables


def fit_factories(tables: np.ndarray, n_factories: int | None) -> np.ndarray:
    """Tables cut or zero-padded to the factories the model was trained with (the registry only appends,
    so factories added after training are the last rows: they are left out)."""
    if n_factories is None or tables.shape[1] == n_factories:
        return tables
    if tables.shape[1] > n_factories:
        return tables[:, :n_factories]
    pad = np.zeros((tables.shape[0], n_factories - tables.shape[1], tables.shape[2]), tables.dtype)
    return np.concatenate([tables, pad], axis=1)


def model_inputs(
    data: MonthlyDataset, gapfill: bool = True, n_factories: int | None = None
) -> tuple[np.ndarray, np.ndarray, dict]:
    """The per-factory tables and the month scalars a model learns from: gap-filled or as they are, with
    `n_factories` rows (None: the dataset's); and counts for metadata."""
    if gapfill:
        tables, filled = fill_tables(data.tables, tuple(data.feature_names))
        scalars, scalars_filled = fill_scalars(data.scalars, tables, tuple(data.feature_names))
        info = {
            "gapfill": True,
            "filled_rows": int(filled.sum()),
            "months_with_filled_rows": int(filled.any(axis=1).sum()),
            "months_with_filled_scalars": int(scalars_filled.any(axis=1).sum()),
        }
    else:
        tables, scalars, info = data.tables, np.asarray(data.scalars, dtype=np.float64), {"gapfill": False}
    if n_factories is not None and tables.shape[1] > n_factories:
        info["factories_ignored"] = int(tables.shape[1] - n_factories)
    return fit_factories(tables, n_factories), scalars, info


def listed_factories(data: MonthlyDataset, n_factories: int | None = None) -> np.ndarray:
    """(M, R) which factories each month's POI snapshot lists, cut or padded like the tables."""
    return fit_factories(data.listed_mask()[:, :, None], n_factories)[:, :, 0]


def column_spread(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and spread of each column of `rows`, and which columns vary: a spread below a billionth of the
    column's magnitude is rounding, not variation (the bench's Mumbai had a statistic constant over the
    training labels but for 4e-15; divided by that, the next year's value was 2e15 spreads away)."""
    mean, std = rows.mean(axis=0), rows.std(axis=0)
    keep = std > 1e-9 * np.maximum(np.abs(mean), 1.0)
    return mean, np.where(keep, std, 1.0), keep
