"""Monitoring in the code location: freshness checks evaluated by a sensor (freshness.py,
freshness_sensor.py), the `region_health` summary (region_health.py), and alerts to a webhook on failed runs
and failed checks (alert_webhook.py, run_failure_alert.py, check_failure_alert.py). What needs no Dagster is
in sacnn_dagster/monitoring/."""
