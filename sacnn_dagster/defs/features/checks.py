"""The checks of the month's factories (count change against the previous month, a warning) and factory
patches (one for every factory, on the grid; blocking)."""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
import pandas as pd
import rasterio

from sacnn_dagster.config.limits import Limits
from sacnn_dagster.defs.common.check_reporting import Check, report_months
from sacnn_dagster.defs.resources.storage import OutputStorage
from sacnn_dagster.io.layout import month_file, months_stored
from sacnn_dagster.quality.factories import FactorySet, factory_count_change
from sacnn_dagster.quality.patches import patch_completeness

FACTORY_COUNT = Check(
    "factory_count_change",
    "factories",
    False,
    lambda limits: (
        f"The factory count changes by at most {limits.max_factory_count_change:.0%} from the previous "
        "month with factories (that is, between POI snapshots). A warning: a larger change is more often a broken "
        "export than a real wave of openings."
    ),
)
PATCHES_COMPLETE = Check(
    "patches_complete",
    "factory_patches",
    True,
    lambda limits: (
        "Exactly one patch for every factory of the month, each centred on the month's grid. "
        "Blocking: the model would see a factory table with holes."
    ),
)


def _factory_set(storage: OutputStorage, month: str) -> FactorySet:
    with storage.reading(month_file("factories", month)) as path:
        table = pd.read_parquet(path, columns=["id", "snapshot"])
    snapshot = str(table["snapshot"].iloc[0]) if len(table) else ""
    return FactorySet(month, snapshot, frozenset(table["id"].astype(str)))


def factory_checks(
    context: dg.AssetExecutionContext, storage: OutputStorage, limits: Limits
) -> Iterator[dg.AssetCheckEvaluation | dg.Output]:
    months = list(context.partition_keys)
    earlier = [m for m in months_stored(storage.list_keys("factories"), "factories") if m < months[0]]
    previous = _factory_set(storage, earlier[-1]) if earlier else None
    verdicts = {}
    for month in months:
        current = _factory_set(storage, month)
        verdicts[month] = factory_count_change(current, previous, limits)
        previous = current
    yield from report_months(context, {FACTORY_COUNT: verdicts})


def patch_checks(
    context: dg.AssetExecutionContext, storage: OutputStorage
) -> Iterator[dg.AssetCheckEvaluation | dg.Output]:
    verdicts = {}
    for month in context.partition_keys:
        with storage.reading(month_file("factories", month)) as path:
            factory_ids = pd.read_parquet(path, columns=["id"])["id"].astype(str).tolist()
        with storage.reading(month_file("factory_patches", month)) as path:
            # three columns, not the windows that make up most of the file
            patches = pd.read_parquet(path, columns=["id", "row", "col"])
        with storage.reading(month_file("ntl_clean", month)) as path, rasterio.open(path) as ds:
            grid_shape = ds.shape
        verdicts[month] = patch_completeness(
            factory_ids,
            patches["id"].astype(str).tolist(),
            patches["row"].to_numpy(),
            patches["col"].to_numpy(),
            grid_shape,
        )
    yield from report_months(context, {PATCHES_COMPLETE: verdicts})
