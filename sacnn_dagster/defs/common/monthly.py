"""The loop every monthly asset runs: a range run (single-run backfill policy) covers many months, each
written and described on its own partition, and one bad month costs only itself."""

from collections.abc import Callable

import dagster as dg

from sacnn_dagster.io.local_faults import local_fault
from sacnn_dagster.io.transient import is_transient

#: Metadata of a monthly step's failure: {month: cause} of the months that failed; the others were written.
FAILED_MONTHS = "failed_months"

#: For the monthly assets: a server or store having a bad moment (see io/transient.py) gets two more
#: tries, 10 then 20 s later, on top of the downloader's own retries (about 15 s). Bad input is never
#: retried: `materialize_months` raises it as a Failure that forbids retries.
TRANSIENT_RETRY = dg.RetryPolicy(max_retries=2, delay=10, backoff=dg.Backoff.EXPONENTIAL)


def materialize_months(
    context: dg.AssetExecutionContext,
    work: Callable[[str], dict],
    summary: Callable[[dict], str] | None = None,
) -> list[dict]:
    """Run `work(month)` for every partition of the run in order; its dict becomes that partition's
    metadata (so the UI shows per-month figures in range runs too). Returns the metadata, month by month.

    A transient error (io/transient.py) is raised at once, for the retry policy to run the step again. A
    permanent local fault (io/local_faults.py: no space, permission denied, read-only) fails the step at once,
    without retries and without trying the other months.
    Any other error fails its month only: the other months are still written, then the step fails with
    every failed month and its cause in the message and in the metadata `failed_months`, so that a
    backfill can carry on without them (see cli/backfill/) and the month can be run again alone once its
    input is fixed."""
    keys = context.partition_keys
    name = context.asset_key.to_user_string()
    out = []
    failed: dict[str, str] = {}
    for i, month in enumerate(keys, start=1):
        try:
            meta = work(month)
        except Exception as exc:
            if is_transient(exc):
                raise
            if (fault := local_fault(exc)) is not None:  # every month would hit the same full disk: not a bad month
                raise dg.Failure(description=f"{month}: {fault}", allow_retries=False) from exc
            failed[month] = str(exc) or type(exc).__name__
            context.log.error(f"{name} {month} ({i}/{len(keys)}) failed: {failed[month]}")
            continue
        context.add_asset_metadata(meta, partition_key=month)
        context.log.info(f"{name} {month} ({i}/{len(keys)})" + (f": {summary(meta)}" if summary else ""))
        out.append(meta)
    if failed:
        raise dg.Failure(
            description="; ".join(f"{month}: {cause}" for month, cause in failed.items()),
            metadata={FAILED_MONTHS: dg.MetadataValue.json(failed)},
            allow_retries=False,
        )
    return out


def monthly_asset_options(partitions: dg.PartitionsDefinition, *, retry_transient: bool) -> dict:
    """What every monthly asset's decorator says: one partition per month, one run for a whole range of months
    (the single-run backfill policy, see cli/run.py), and for a step that reads inputs, the retry of
    transient errors."""
    options = dict(partitions_def=partitions, backfill_policy=dg.BackfillPolicy.single_run())
    return {**options, "retry_policy": TRANSIENT_RETRY} if retry_transient else options
