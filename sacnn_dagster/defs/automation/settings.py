"""Whether the automation runs by default, and how often each sensor looks."""

from __future__ import annotations

import os

import dagster as dg

#: `running` or `stopped`: the default status of every sensor and the schedule (a status set in the UI
#: wins). Without it, automation runs for the demo regions (named `demo-...`) and waits for a click elsewhere.
AUTOMATION_ENV = "SACNN_AUTOMATION"
#: Seconds between two evaluations of every sensor, overriding the defaults below (tests use 1).
INTERVAL_ENV = "SACNN_SENSOR_INTERVAL_S"
#: A local folder is cheap to look at; EOG, LAADS and S3 publish monthly and cost requests.
LOCAL_INTERVAL_S = 60
REMOTE_INTERVAL_S = 3600
CHAIN_INTERVAL_S = 30


def default_status(region_name: str) -> dg.DefaultSensorStatus:
    setting = os.environ.get(AUTOMATION_ENV, "").strip().lower()
    if setting not in ("", "running", "stopped"):
        raise ValueError(f"${AUTOMATION_ENV} is {setting!r}: use running or stopped")
    running = setting == "running" or (not setting and region_name.startswith("demo-"))
    return dg.DefaultSensorStatus.RUNNING if running else dg.DefaultSensorStatus.STOPPED


def interval(default_s: int) -> int:
    value = os.environ.get(INTERVAL_ENV)
    return int(value) if value else default_s


def polling_interval(location_remote: bool) -> int:
    """Seconds between two looks at an input: an hour for a remote one, a minute for a local folder."""
    return interval(REMOTE_INTERVAL_S if location_remote else LOCAL_INTERVAL_S)
