"""`freshness_sensor`: evaluates the freshness checks on the daemon's schedule, without a run: each verdict that
differs from the check's latest result (another month due, a month built, a deadline passed) is recorded as a
new result of the check, and `region_health` gets a new version whenever the summary changes. A restarted
daemon compares with what the instance holds, so it records nothing twice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import dagster as dg

from sacnn_dagster.config.region import RegionConfig
from sacnn_dagster.defs.asset_keys import RegionKeys
from sacnn_dagster.defs.automation.settings import interval
from sacnn_dagster.defs.monitoring.freshness import FRESHNESS_CHECK, evaluation
from sacnn_dagster.defs.monitoring.instance_state import health_summary, latest_results, verdicts
from sacnn_dagster.defs.monitoring.region_health import health_materialization, recorded_summary
from sacnn_dagster.monitoring.freshness import Verdict

#: A deadline is a day: looking every five minutes tells a late month within minutes of its deadline.
FRESHNESS_INTERVAL_S = 300


def _same(verdict: Verdict, recorded: dg.AssetCheckEvaluation | None) -> bool:
    if recorded is None:
        return False
    due = recorded.metadata.get("due_month")
    newest = recorded.metadata.get("newest_month")
    return (
        recorded.passed == verdict.passed
        and (due.value if due else None) == (verdict.due.month if verdict.due else "")
        and (newest.value if newest else None) == (verdict.latest or "")
    )


def build_freshness_sensor(
    region: RegionConfig, keys: RegionKeys, monitored: Sequence[str], status: dg.DefaultSensorStatus
) -> dg.SensorDefinition:
    @dg.sensor(
        name="freshness_sensor",
        minimum_interval_seconds=interval(FRESHNESS_INTERVAL_S),
        default_status=status,
        description=(
            "Evaluates the freshness checks (is the month due built?) and refreshes region_health; records a "
            "check result only when the verdict changes."
        ),
    )
    def freshness_sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
        now = datetime.now(UTC)
        instance = context.instance
        changed = []
        for verdict in verdicts(instance, region, keys, monitored, now):
            key = keys.check(verdict.asset, FRESHNESS_CHECK)
            if not _same(verdict, latest_results(instance, key).get("")):
                instance.report_runless_asset_event(evaluation(verdict, keys))
                changed.append(verdict)
                context.log.info(verdict.description)
        graph = context.repository_def.asset_graph if context.repository_def else None
        check_keys = list(graph.asset_check_keys) if graph is not None else []
        summary = health_summary(instance, region, keys, monitored, check_keys, now)
        if recorded_summary(instance, keys) != summary.markdown():
            instance.report_runless_asset_event(health_materialization(summary, keys))
        overdue = [a.verdict.asset for a in summary.overdue]
        return dg.SkipReason(
            f"{len(monitored) - len(overdue)} fresh, {len(overdue)} overdue"
            + (f" ({', '.join(overdue)})" if overdue else "")
            + f"; {len(changed)} verdict(s) changed"
        )

    return freshness_sensor
