"""Asset checks as Dagster sees them: what a check is (`Check`), its spec, and how each month's verdicts
(sacnn_dagster/quality measures them) are reported per partition. The checks themselves are with their
assets, in each domain's checks.py.

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

from sacnn_dagster.config.limits import Limits
from sacnn_dagster.defs.dagster_private import AssetCheckEvaluationTargetMaterializationData
from sacnn_dagster.quality.verdict import Severity, Verdict

#: What a checked monthly asset yields: its materialization, then one evaluation per month and check.
CheckedOutput = dg.MaterializeResult | dg.AssetCheckEvaluation | dg.Output


@dataclass(frozen=True)
class Check:
    """One asset check: its name, the asset it judges, whether a failure stops what follows."""

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
        yield dg.Output(
            None,
            output_name=context.assets_def.get_output_name_for_asset_check_key(
                dg.AssetCheckKey(context.asset_key, check.name)
            ),
        )
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
