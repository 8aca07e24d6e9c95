"""From changed versions to run requests: one run per contiguous stretch of months, the cursor advanced over
what was requested."""

from __future__ import annotations

from collections.abc import Callable

import dagster as dg

from sacnn_dagster.config.months import contiguous_stretches, month_range
from sacnn_dagster.defs.automation.instance_queries import months_in_progress
from sacnn_dagster.defs.automation.run_tags import ESTIMATE, REASON_TAG, THEN_TAG, range_tags
from sacnn_dagster.versioning.source_scan import VersionCursor, run_key


def feature_requests(
    kind: str,
    versions: dict[str, str],
    generation: int | str,
    reason: str,
    asset_selection: list[dg.AssetKey] | None = None,
) -> list[dg.RunRequest]:
    """One monthly_features run per contiguous stretch of `versions` (month -> version), each followed by
    the estimates of its months."""
    requests = []
    for first, last in contiguous_stretches(list(versions)):
        months = month_range(first, last)
        requests.append(
            dg.RunRequest(
                run_key=run_key(kind, {m: versions[m] for m in months}, generation),
                asset_selection=asset_selection,
                tags={
                    **range_tags(first, last),
                    THEN_TAG: ESTIMATE,
                    REASON_TAG: f"{reason}: {first}" + (f"..{last}" if last != first else ""),
                },
            )
        )
    return requests


def request_changed(
    context: dg.SensorEvaluationContext,
    job_name: str,
    region: str,
    versions: dict[str, str],
    kind: str,
    reason: str,
    unchanged: str,
    built: Callable[[], dict[str, object]],
    asset_selection: list[dg.AssetKey] | None = None,
) -> dg.SensorResult:
    """Requests the months of `versions` (month -> version) whose version differs from the one last
    requested (the cursor), and advances the cursor over them. A month the instance already holds in that
    version (`built()`: month -> version it was built from; the runner, a backfill or the UI built it, or this
    is the first look) starts nothing; a month a run of the region's `job_name` is building waits for a later tick."""
    cursor = VersionCursor.decode(context.cursor) or VersionCursor()
    changed = cursor.changed(versions)
    if changed:
        held = built()
        cursor = cursor.with_known({m: versions[m] for m in changed if str(held.get(m)) == versions[m]})
        changed = cursor.changed(versions)
    busy = months_in_progress(context.instance, job_name, region)
    ready = [m for m in changed if m not in busy]
    if not ready:
        waiting = f"; {len(changed)} changed month(s) wait for a run in progress" if changed else ""
        return dg.SensorResult(skip_reason=f"{len(versions)} {unchanged}{waiting}", cursor=cursor.encode())
    requests = feature_requests(kind, {m: versions[m] for m in ready}, cursor.generation, reason, asset_selection)
    return dg.SensorResult(run_requests=requests, cursor=cursor.advanced(versions, ready).encode())
