"""Whether an asset is fresh: the month due (deadlines.py) is among the months built. A verdict names the
month and since when it has been due, in words a user reads in the UI's Checks tab and in an alert."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sacnn_dagster.config.monitoring import MonitoringSettings
from sacnn_dagster.config.months import add_months
from sacnn_dagster.monitoring.deadlines import Due, due_month, month_deadline

#: The name of every freshness check, on every asset that has one.
FRESHNESS_CHECK = "freshness"
#: Which deadline each monitored asset follows: its source's, or the outputs' (the composite's, plus a margin).
SOURCE_OF = {
    "ntl_composite": "nightlights",
    "gvio_statistics": "statistics",
    "gvio_estimate": "outputs",
    "gvio_grid": "outputs",
    "gvio_by_district": "outputs",
}


def deadline_days(kind: str, settings: MonitoringSettings) -> int:
    """Days after a month ends by which an asset of this kind (SOURCE_OF's values) is due."""
    if kind == "nightlights":
        return settings.nightlights_due_days
    if kind == "statistics":
        return settings.statistics_due_days
    return settings.nightlights_due_days + settings.outputs_due_days


def due_for(asset: str, now: datetime, start: str, end: str | None, settings: MonitoringSettings) -> Due | None:
    """The month `asset` must hold at `now`, and since when."""
    kind = SOURCE_OF[asset]
    return due_month(now, deadline_days(kind, settings), start, end, january_with_february=kind == "statistics")


@dataclass(frozen=True)
class Verdict:
    """One asset's freshness at one moment."""

    asset: str
    passed: bool
    due: Due | None
    latest: str | None
    """The newest month built (for the statistics: the newest month published), None if none."""
    next_deadline: datetime | None = None
    """When the next month becomes due (the verdict can change then without anything being built)."""

    @property
    def overdue_month(self) -> str | None:
        return None if self.passed or self.due is None else self.due.month

    @property
    def description(self) -> str:
        latest = f"the newest month built is {self.latest}" if self.latest else "no month built yet"
        if self.due is None:
            return f"{self.asset}: no month is due yet; {latest}."
        if self.passed:
            return f"{self.asset}: fresh, {self.due.month} was due by {self.due.since_text} and is built."
        return f"{self.asset}: {self.due.month} is missing, due since {self.due.since_text}; {latest}."


def judge(
    asset: str, months_built: Collection[str], due: Due | None, days_after: int, end: str | None = None
) -> Verdict:
    """The verdict for `asset`, which holds `months_built` (for the statistics: every month up to the newest
    published), against the month `due`; `end`: the region's last month (no next deadline after it)."""
    latest = max(months_built, default=None)
    passed = due is None or due.month in months_built
    following = None if due is None or due.month == end else _next_deadline(due.month, days_after)
    return Verdict(asset, passed, due, latest, following)


def _next_deadline(month: str, days_after: int) -> datetime:
    return month_deadline(add_months(month, 1), days_after)
