"""The alert webhook as a Dagster resource: its address comes from the secret environment variable
SACNN_ALERT_WEBHOOK, handed to Dagster as an `EnvVar` (so that it is in no run config and the UI shows the
variable's name, never its value). Without it, alerts are only logged."""

from __future__ import annotations

import logging
import os

import dagster as dg

from sacnn_dagster.monitoring.webhook import post_text

WEBHOOK_ENV = "SACNN_ALERT_WEBHOOK"


class AlertWebhook(dg.ConfigurableResource):
    """Where alerts are posted: an incoming webhook of Slack, Teams or Mattermost (JSON with a `text`)."""

    url: str = ""
    """The webhook address; a secret. Set through $SACNN_ALERT_WEBHOOK (see `from_environment`)."""

    def send(self, text: str, log: logging.Logger | dg.DagsterLogManager) -> bool:
        """Post `text`; True once delivered (or when no webhook is set: then the alert is only logged). A
        failure is retried, then logged without the address, and never raised."""
        if not self.url:
            log.info(f"${WEBHOOK_ENV} is not set; the alert is only logged: {text}")
            return True
        delivery = post_text(self.url, text)
        if delivery.delivered:
            log.info(f"alert posted to the webhook (${WEBHOOK_ENV}) after {delivery.tries} try(s)")
        else:
            log.warning(
                f"alert not delivered to the webhook (${WEBHOOK_ENV}) after {delivery.tries} tries: {delivery.problem}"
            )
        return delivery.delivered

    @classmethod
    def from_environment(cls) -> AlertWebhook:
        return cls(url=dg.EnvVar(WEBHOOK_ENV)) if os.environ.get(WEBHOOK_ENV) else cls()
