"""The loop every monthly asset runs: a range run (single-run backfill policy) covers many months, each
written and described on its own partition."""

from collections.abc import Callable

import dagster as dg


def materialize_months(
    context: dg.AssetExecutionContext,
    work: Callable[[str], dict],
    summary: Callable[[dict], str] | None = None,
) -> list[dict]:
    """Run `work(month)` for every partition of the run in order; its dict becomes that partition's
    metadata (so the UI shows per-month figures in range runs too). Returns the metadata, month by month."""
    keys = context.partition_keys
    name = context.asset_key.to_user_string()
    out = []
    for i, month in enumerate(keys, start=1):
        meta = work(month)
        context.add_asset_metadata(meta, partition_key=month)
        context.log.info(f"{name} {month} ({i}/{len(keys)})" + (f": {summary(meta)}" if summary else ""))
        out.append(meta)
    return out
