"""`check_failure_alert`: one webhook message when a check starts failing with severity error (the blocking
checks, `heldout_r2_above_floor`, freshness) and one "resolved" message when it passes again. A late month is
one incident whichever assets miss it (the composite, and so the estimate and grid): one message, not four.
The open incidents are the sensor's cursor, which Dagster keeps in the instance, so neither another tick nor
a restarted daemon tells the same incident twice; a message the webhook did not take is tried again at the
next tick."""

from __future__ import annotations

from collections import defaultdict

import dagster as dg

from sacnn_dagster.config.region import RegionConfig
from sacnn_dagster.defs.automation.settings import CHAIN_INTERVAL_S, interval
from sacnn_dagster.defs.monitoring.alert_webhook import AlertWebhook
from sacnn_dagster.defs.monitoring.instance_state import failing
from sacnn_dagster.monitoring import messages
from sacnn_dagster.monitoring.freshness import FRESHNESS_CHECK
from sacnn_dagster.monitoring.incidents import Incident, changes, read_cursor, write_cursor


def _text(evaluation: dg.AssetCheckEvaluation, key: str) -> str:
    value = evaluation.metadata.get(key)
    return "" if value is None else str(value.value)


def current_incidents(
    instance: dg.DagsterInstance, region: RegionConfig, check_keys: list[dg.AssetCheckKey]
) -> dict[str, Incident]:
    """key -> incident, for every check failing now with severity error."""
    ui = region.monitoring.ui_url
    late: dict[str, list[messages.LateAsset]] = defaultdict(list)
    found: dict[str, Incident] = {}
    for check_key in sorted(check_keys, key=lambda k: k.to_user_string()):
        asset = check_key.asset_key.to_user_string()
        bad = failing(instance, check_key)
        if not bad:
            continue
        if check_key.name == FRESHNESS_CHECK:
            for evaluation in bad.values():
                month = _text(evaluation, "overdue_month") or "?"
                late[month].append(messages.LateAsset(asset, _text(evaluation, "due_since_text")))
            continue
        months = sorted(p for p in bad if p)
        first = bad[months[0] if months else ""]
        title = f"check {check_key.name} failing on {asset}"
        text = messages.check_failed(
            region.name, asset, check_key.name, months, first.description or "", messages.checks_link(ui, asset)
        )
        found[f"{asset} {check_key.name}"] = Incident(f"{asset} {check_key.name}", title, text)
    for month, unordered in late.items():
        assets = sorted(unordered, key=lambda a: (a.due_since, a.asset))  # the source first: the likely cause
        title = f"{month} late ({', '.join(a.asset for a in assets)})"
        text = messages.month_late(region.name, month, assets, messages.checks_link(ui, assets[0].asset))
        found[f"freshness {month}"] = Incident(f"freshness {month}", title, text)
    return found


def build_check_failure_alert(region: RegionConfig, status: dg.DefaultSensorStatus) -> dg.SensorDefinition:
    @dg.sensor(
        name="check_failure_alert",
        minimum_interval_seconds=interval(CHAIN_INTERVAL_S),
        default_status=status,
        description=(
            "Posts one message to the webhook in $SACNN_ALERT_WEBHOOK when a check starts failing with severity "
            "error (blocking checks, freshness), and one when it is resolved."
        ),
    )
    def check_failure_alert(context: dg.SensorEvaluationContext, alert_webhook: AlertWebhook) -> dg.SkipReason:
        graph = context.repository_def.asset_graph if context.repository_def else None
        check_keys = list(graph.asset_check_keys) if graph is not None else []
        open_titles = read_cursor(context.cursor)
        todo = changes(open_titles, current_incidents(context.instance, region, check_keys))
        told = []
        for incident in todo.opened:
            if not alert_webhook.send(incident.text, context.log):
                break  # the webhook is down: the rest waits for the next tick rather than for its retries
            open_titles[incident.key] = incident.title
            told.append(incident.title)
        else:
            for key, title in todo.resolved.items():
                if not alert_webhook.send(messages.resolved(region.name, title), context.log):
                    break
                del open_titles[key]
                told.append(f"resolved: {title}")
        context.update_cursor(write_cursor(open_titles))
        return dg.SkipReason(
            f"{len(open_titles)} incident(s) open" + (f"; told: {'; '.join(told)}" if told else "; nothing new")
        )

    return check_failure_alert
