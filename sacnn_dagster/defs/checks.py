"""Asset checks: what each month's outputs are checked for, judged month by month (quality/verdicts.py
measures), and reported to Dagster per partition.

The checks run inside their asset's step, right after the month loop, on the files just stored (what the
next asset will read). A separate `@asset_check` would cost one more step (one more process under the
multiprocess executor) per asset and run, and read every file again from storage.

Why the evaluations are built here: Dagster 1.13 has partitioned asset checks (`AssetCheckSpec(...,
partitions_def=...)`, a preview), but an `AssetCheckResult` only gets a partition when the run is a
single-partition run. Our runs cover ranges of months (single-run backfill policies), so each month's
result is reported as an `AssetCheckEvaluation` with its partition and the materialization it judges:
the UI then shows which months passed, and each month's measurements, also after a range run.

A failed check with ERROR severity on a blocking check fails the step after every month was stored and
judged: nothing downstream runs in that run. The failure names the months and what was wrong; the
runner then redoes the stretch month by month, so the good months go on.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import dagster as dg
import pandas as pd
import rasterio
from rasterio.features import geometry_mask

from sacnn_dagster.config.limits import Limits
from sacnn_dagster.config.months import add_months
from sacnn_dagster.defs.dagster_private import AssetCheckEvaluationTargetMaterializationData
from sacnn_dagster.defs.resources import RegionResource
from sacnn_dagster.defs.storage import OutputStorage
from sacnn_dagster.geo.cog import read_band
from sacnn_dagster.io.layout import month_file, months_stored
from sacnn_dagster.quality import verdicts as quality
from sacnn_dagster.quality.verdicts import FactorySet, Severity, Verdict

#: What a checked monthly asset yields: its materialization, then one evaluation per month and check.
CheckedOutput = dg.MaterializeResult | dg.AssetCheckEvaluation | dg.Output


@dataclass(frozen=True)
class Check:
    name: str
    asset: str
    blocking: bool
    #: What the check asks, in words, with the region's thresholds (shown on the check in the UI).
    describe: Callable[[Limits], str]

    def key(self) -> dg.AssetCheckKey:
        return dg.AssetCheckKey(dg.AssetKey(self.asset), self.name)

    def spec(self, limits: Limits, partitions: dg.PartitionsDefinition | None = None) -> dg.AssetCheckSpec:
        """The check's spec; partitioned like its asset, so that each month keeps its own result."""
        with warnings.catch_warnings():
            # partitioned asset checks are a preview in Dagster 1.13: said once here, not at every load
            warnings.simplefilter("ignore", dg.PreviewWarning)
            return dg.AssetCheckSpec(
                self.name,
                asset=self.asset,
                description=self.describe(limits),
                blocking=self.blocking,
                partitions_def=partitions,
            )


COMPOSITE_VALID = Check(
    "composite_valid",
    "ntl_composite",
    True,
    lambda limits: (
        f"Radiance covers the area (at most {limits.max_share_without_radiance:.0%} without a value) "
        f"and lies in the physical range {quality.RADIANCE_RANGE[0]:g}..{quality.RADIANCE_RANGE[1]:g} nW/cm²/sr; "
        "cf_cvg counts are valid where there is radiance. Blocking: a fill value or a wrong scale would be cleaned, "
        "sampled and mapped as light."
    ),
)
COMPOSITE_COVERAGE = Check(
    "composite_coverage",
    "ntl_composite",
    False,
    lambda limits: (
        f"At least {limits.min_share_observed:.0%} of the area was seen cloud-free (cf_cvg > 0). A "
        "warning: below it the month's features come mostly from neighbouring months (monsoon months stay above it)."
    ),
)
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
ESTIMATE_PLAUSIBLE = Check(
    "estimate_plausible",
    "gvio_estimate",
    True,
    lambda limits: (
        f"SA-CNN's estimate lies between {limits.estimate_band[0]:g} and {limits.estimate_band[1]:g} "
        f"times the median of the previous {quality.ESTIMATE_HISTORY_MONTHS} months' estimates (a warning; judged "
        f"once {quality.MIN_HISTORY_MONTHS} of them exist). An impossible estimate (not finite, negative, outside its "
        "interval) is an error and blocks the grid."
    ),
)
GRID_SUMS = Check(
    "grid_sums_to_estimate",
    "gvio_grid",
    True,
    lambda limits: (
        "The stored grid adds up to SA-CNN's estimate of the month (relative error at most "
        f"{quality.GRID_SUM_TOLERANCE:g})."
    ),
)
HELDOUT_R2 = Check(
    "heldout_r2_above_floor",
    "model_evaluation",
    False,
    lambda limits: (
        f"SA-CNN's R² on held-out labels, after retraining without them, is at least {limits.r2_floor} "
        f"on every split holding out {quality.MIN_HELD_OUT_LABELS} labels or more."
    ),
)


def monthly_specs(partitions: dg.PartitionsDefinition, limits: Limits, *checks: Check) -> list[dg.AssetCheckSpec]:
    return [check.spec(limits, partitions) for check in checks]


def _judged_materializations(
    context: dg.AssetExecutionContext, months: list[str]
) -> dict[str, AssetCheckEvaluationTargetMaterializationData]:
    """The materialization of each month that this step just recorded (the newest of each)."""
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=context.asset_key, asset_partitions=months), limit=len(months)
    ).records
    return {
        r.partition_key: AssetCheckEvaluationTargetMaterializationData(
            run_id=r.run_id, storage_id=r.storage_id, timestamp=r.timestamp
        )
        for r in reversed(records)  # newest first: the newest of each month wins
    }


def report_months(
    context: dg.AssetExecutionContext, verdicts: dict[Check, dict[str, Verdict]]
) -> Iterator[dg.AssetCheckEvaluation | dg.Output]:
    """One evaluation per check and month, then each check's (empty) output; fails the step when a
    blocking check found an error."""
    targets = _judged_materializations(context, list(context.partition_keys))
    blocked = []
    for check, by_month in verdicts.items():
        failed = [f"{month}: {v.description}" for month, v in by_month.items() if not v.passed]
        for month, v in by_month.items():
            severity = dg.AssetCheckSeverity.WARN if v.severity is Severity.WARN else dg.AssetCheckSeverity.ERROR
            yield dg.AssetCheckEvaluation(
                asset_key=context.asset_key,
                check_name=check.name,
                passed=v.passed,
                metadata=v.measured,
                severity=severity,
                description=v.description,
                blocking=check.blocking,
                partition=month,
                target_materialization_data=targets.get(month),
            )
            if check.blocking and not v.passed and v.severity is Severity.ERROR:
                blocked.append(f"{check.name} {month}: {v.description}")
        yield dg.Output(None, output_name=context.assets_def.get_output_name_for_asset_check_key(check.key()))
        summary = f"{check.name}: {len(by_month) - len(failed)} of {len(by_month)} month(s) passed"
        if failed:
            context.log.warning(summary + "\n  " + "\n  ".join(failed))
        else:
            context.log.info(summary)
    if blocked:
        # Raised here rather than left to Dagster so that the error names the months and the fault; not
        # retried: bad data stays bad.
        raise dg.Failure(
            description="blocking check failed, nothing downstream runs for this run's months:\n" + "\n".join(blocked),
            allow_retries=False,
        )


def composite_checks(
    context: dg.AssetExecutionContext, region: RegionResource, storage: OutputStorage, limits: Limits
) -> Iterator[dg.AssetCheckEvaluation | dg.Output]:
    valid, coverage = {}, {}
    for month in context.partition_keys:
        with storage.reading(month_file("ntl_composite", month)) as path:
            radiance, grid = read_band(path, 1)
            cover, _ = read_band(path, 2)
        # the area as the readers clip it: pixel centres inside the boundary
        inside = geometry_mask([region.boundary], out_shape=grid.shape, transform=grid.transform, invert=True)
        measured = quality.composite_quality(radiance, cover, inside)
        valid[month] = quality.composite_valid(measured, limits)
        coverage[month] = quality.composite_coverage(measured, limits)
    yield from report_months(context, {COMPOSITE_VALID: valid, COMPOSITE_COVERAGE: coverage})


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
        verdicts[month] = quality.factory_count_change(current, previous, limits)
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
        verdicts[month] = quality.patch_completeness(
            factory_ids,
            patches["id"].astype(str).tolist(),
            patches["row"].to_numpy(),
            patches["col"].to_numpy(),
            grid_shape,
        )
    yield from report_months(context, {PATCHES_COMPLETE: verdicts})


def estimate_checks(
    context: dg.AssetExecutionContext, storage: OutputStorage, limits: Limits
) -> Iterator[dg.AssetCheckEvaluation | dg.Output]:
    months = list(context.partition_keys)
    stored = set(months_stored(storage.list_keys("gvio_estimate"), "gvio_estimate"))
    needed = sorted(m for m in stored if add_months(months[0], -quality.ESTIMATE_HISTORY_MONTHS) <= m <= months[-1])
    sacnn = {}
    for month in needed:
        with storage.reading(month_file("gvio_estimate", month)) as path:
            sacnn[month] = pd.read_parquet(path).set_index("model").loc["sacnn"]
    verdicts = {}
    for month in months:
        window = [add_months(month, -k) for k in range(quality.ESTIMATE_HISTORY_MONTHS, 0, -1)]
        history = [float(sacnn[m]["estimate"]) for m in window if m in sacnn]
        row = sacnn[month]
        verdicts[month] = quality.estimate_plausibility(
            float(row["estimate"]), float(row["lower"]), float(row["upper"]), history, limits
        )
    yield from report_months(context, {ESTIMATE_PLAUSIBLE: verdicts})


def evaluation_check(models: dict, limits: Limits) -> dg.AssetCheckResult:
    """The held-out R² floor, judged on `evaluation/summary.json`'s models (an error, not blocking:
    nothing follows the evaluation)."""
    verdict = quality.heldout_r2(models, limits)
    return dg.AssetCheckResult(
        check_name=HELDOUT_R2.name, passed=verdict.passed, metadata=verdict.measured, description=verdict.description
    )
