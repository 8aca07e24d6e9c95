"""The checks of the month's estimate (possible, and plausible against the previous months) and GVIO grid
(adds up to the estimate); both blocking for impossible values."""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
import pandas as pd

from sacnn_dagster.config.limits import Limits
from sacnn_dagster.config.months import add_months
from sacnn_dagster.defs.common.check_reporting import Check, report_months
from sacnn_dagster.defs.resources.storage import OutputStorage
from sacnn_dagster.io.layout import month_file, months_stored
from sacnn_dagster.quality.estimates import ESTIMATE_HISTORY_MONTHS, MIN_HISTORY_MONTHS, estimate_plausibility
from sacnn_dagster.quality.grid import GRID_SUM_TOLERANCE, grid_sum

ESTIMATE_PLAUSIBLE = Check(
    "estimate_plausible",
    "gvio_estimate",
    True,
    lambda limits: (
        "The served estimate (the row marked selected) lies between "
        f"{limits.estimate_band[0]:g} and {limits.estimate_band[1]:g} "
        f"times the median of the previous {ESTIMATE_HISTORY_MONTHS} months' estimates (a warning; judged "
        f"once {MIN_HISTORY_MONTHS} of them exist). An impossible estimate (not finite, negative, outside its "
        "interval) is an error and blocks the grid."
    ),
)
GRID_SUMS = Check(
    "grid_sums_to_estimate",
    "gvio_grid",
    True,
    lambda limits: (
        "The stored grid adds up to the month's estimate that it carries, the selected model's (relative error"
        f" at most {GRID_SUM_TOLERANCE:g})."
    ),
)


def estimate_checks(
    context: dg.AssetExecutionContext, storage: OutputStorage, limits: Limits
) -> Iterator[dg.AssetCheckEvaluation | dg.Output]:
    months = list(context.partition_keys)
    stored = set(months_stored(storage.list_keys("gvio_estimate"), "gvio_estimate"))
    needed = sorted(m for m in stored if add_months(months[0], -ESTIMATE_HISTORY_MONTHS) <= m <= months[-1])
    served = {}
    for month in needed:
        with storage.reading(month_file("gvio_estimate", month)) as path:
            table = pd.read_parquet(path)
        # the estimate users get; SA-CNN's for estimates stored before the selection existed
        served[month] = (
            table[table["selected"]].iloc[0] if "selected" in table else table.set_index("model").loc["sacnn"]
        )
    verdicts = {}
    for month in months:
        window = [add_months(month, -k) for k in range(ESTIMATE_HISTORY_MONTHS, 0, -1)]
        history = [float(served[m]["estimate"]) for m in window if m in served]
        row = served[month]
        verdicts[month] = estimate_plausibility(
            float(row["estimate"]), float(row["lower"]), float(row["upper"]), history, limits
        )
    yield from report_months(context, {ESTIMATE_PLAUSIBLE: verdicts})


def grid_checks(
    context: dg.AssetExecutionContext, estimate_and_sum: dict[str, tuple[float, float]]
) -> Iterator[dg.AssetCheckEvaluation | dg.Output]:
    """`estimate_and_sum`: month -> (the estimate the grid carries, the sum of the grid as stored)."""
    verdicts = {month: grid_sum(estimate, stored_sum) for month, (estimate, stored_sum) in estimate_and_sum.items()}
    yield from report_months(context, {GRID_SUMS: verdicts})
