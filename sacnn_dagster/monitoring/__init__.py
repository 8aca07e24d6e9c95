"""Monitoring without Dagster: by when each month is due (deadlines.py), whether an asset is fresh
(freshness.py), the alert messages (messages.py) and their delivery (webhook.py), the incidents an alert
opens and resolves (incidents.py), and a region's health summary (health.py)."""
