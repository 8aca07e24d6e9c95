"""What every model learns from: one sample per month, factories in a fixed order, and labels that may
cover several months.

- `FactoryRegistry`: every factory id seen in any month, ordered by the month it first appears, then by
  id. New factories from a later POI snapshot are appended, so existing factories keep their position; a
  factory absent in a month is zero-filled in that month.
- `MonthlyDataset.tables`: (months, factories, features) raw per-factory features (NaN -> 0: a factory
  absent, or with no cloud-free observation in its buffer, contributes nothing).
- `Labels`: one row per published value; `membership[l, m] = 1` when label l covers month m, so a combined
  January-February value is compared with the *sum* of the two months' predictions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sacnn_dagster.config.months import month_range
from sacnn_dagster.features.patch_table import PatchTable, read_patch_table
from sacnn_dagster.features.patches import FEATURE_COLUMNS
from sacnn_dagster.geo.landuse import LANDUSE_CLASSES

#: Month-level context joined before the output layer (names in the patch table's `sacnn` metadata).
SCALAR_COLUMNS = (
    "urban_ntl_sum",
    "urban_ntl_mean",
    "urban_ntl_std",
    "urban_pixels",
    "rural_ntl_sum",
    "rural_ntl_mean",
    "rural_ntl_std",
    "rural_pixels",
)


def total_ntl(scalars: np.ndarray) -> np.ndarray:
    """(M,) urban + rural observed light of (M, S) month statistics in SCALAR_COLUMNS order."""
    return scalars[:, SCALAR_COLUMNS.index("urban_ntl_sum")] + scalars[:, SCALAR_COLUMNS.index("rural_ntl_sum")]


@dataclass(frozen=True)
class FactoryRegistry:
    ids: tuple[str, ...]

    @classmethod
    def from_months(cls, factory_ids_by_month: dict[str, list[str]]) -> FactoryRegistry:
        first_seen: dict[str, str] = {}
        for month in sorted(factory_ids_by_month):
            for fid in factory_ids_by_month[month]:
                first_seen.setdefault(fid, month)
        return cls(tuple(sorted(first_seen, key=lambda f: (first_seen[f], f))))

    def positions(self, ids) -> np.ndarray:
        """Position of each id in the registry, -1 for ids the registry does not know."""
        index = pd.Index(self.ids)
        return index.get_indexer(pd.Index(ids))


@dataclass
class MonthlyDataset:
    months: list[str]
    registry: FactoryRegistry
    tables: np.ndarray  # float32 (M, R, F) in registry order, FEATURE_COLUMNS order
    scalars: np.ndarray  # float64 (M, S), SCALAR_COLUMNS order
    total_ntl: np.ndarray  # float64 (M,), urban + rural observed light: the baseline's only input
    unknown_factories: np.ndarray  # int (M,) factories of the month not in the registry (ignored)
    #: bool (M, R): the factory is in the month's POI snapshot (None: every factory in every month)
    listed: np.ndarray | None = None

    def listed_mask(self) -> np.ndarray:
        if self.listed is None:
            return np.ones(self.tables.shape[:2], dtype=bool)
        return self.listed

    @property
    def feature_names(self) -> tuple[str, ...]:
        return FEATURE_COLUMNS


def _table_values(table: PatchTable) -> np.ndarray:
    values = np.array(table.factories[list(FEATURE_COLUMNS)].to_numpy(dtype=np.float64))
    # the dominant class as its feature index (1..12, 0 = none), as the paper's MaxLuNtlCheck
    j = FEATURE_COLUMNS.index("dominant_landuse")
    codes = np.asarray(LANDUSE_CLASSES, dtype=np.float64)
    hit = values[:, j, None] == codes[None, :]
    values[:, j] = np.where(hit.any(axis=1), hit.argmax(axis=1) + 1, 0)
    return np.nan_to_num(values, nan=0.0)


def build_dataset(tables: dict[str, PatchTable], registry: FactoryRegistry | None = None) -> MonthlyDataset:
    """Arrange the months' patch tables for the models. Pass the model's registry at estimation time."""
    months = sorted(tables)
    if registry is None:
        registry = FactoryRegistry.from_months({m: tables[m].factories["id"].tolist() for m in months})
    r, f = len(registry.ids), len(FEATURE_COLUMNS)
    out = np.zeros((len(months), r, f), dtype=np.float32)
    unknown = np.zeros(len(months), dtype=np.int64)
    listed = np.zeros((len(months), r), dtype=bool)
    scalars = np.zeros((len(months), len(SCALAR_COLUMNS)))
    for i, month in enumerate(months):
        t = tables[month]
        pos = registry.positions(t.factories["id"])
        known = pos >= 0
        unknown[i] = int((~known).sum())
        out[i, pos[known]] = _table_values(t)[known]
        listed[i, pos[known]] = True
        scalars[i] = [t.info.get(c, 0.0) for c in SCALAR_COLUMNS]
    scalars = np.nan_to_num(scalars, nan=0.0)
    return MonthlyDataset(months, registry, out, scalars, total_ntl(scalars), unknown, listed)


def load_dataset(paths: dict[str, Path], registry: FactoryRegistry | None = None) -> MonthlyDataset:
    return build_dataset({m: read_patch_table(p) for m, p in paths.items()}, registry)


@dataclass
class Labels:
    periods: list[str]
    values: np.ndarray  # float64 (L,), 亿元
    membership: np.ndarray  # float64 (L, M) against the dataset's months
    months_per_label: np.ndarray  # int (L,)

    def subset(self, rows) -> Labels:
        rows = np.asarray(rows)
        return Labels(
            [self.periods[i] for i in rows], self.values[rows], self.membership[rows], self.months_per_label[rows]
        )

    def __len__(self) -> int:
        return len(self.periods)


def build_labels(statistics: pd.DataFrame, months: list[str]) -> tuple[Labels, list[str]]:
    """Labels for the published values whose months all have data; returns them and the periods left
    out (a value whose months are not all available cannot be compared with a sum of predictions)."""
    index = {m: i for i, m in enumerate(months)}
    periods, values, rows, counts, skipped = [], [], [], [], []
    for rec in statistics.itertuples(index=False):
        covered = month_range(rec.first_month, rec.last_month)
        if not all(m in index for m in covered):
            skipped.append(rec.period)
            continue
        row = np.zeros(len(months))
        row[[index[m] for m in covered]] = 1.0
        periods.append(rec.period)
        values.append(rec.gvio)
        rows.append(row)
        counts.append(len(covered))
    membership = np.array(rows).reshape(len(rows), len(months))
    return Labels(periods, np.array(values, dtype=np.float64), membership, np.array(counts, dtype=np.int64)), skipped
