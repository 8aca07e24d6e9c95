"""By when a month is due: its deadline (the first day of the next month, 00:00 UTC, plus a number of days) and,
for a moment in time, the newest month whose deadline has passed (the month that must exist by then)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sacnn_dagster.config.months import add_months, month_key, parse_month


def month_deadline(month: str, days_after: int) -> datetime:
    """When `month` is due: `days_after` days after it ends (00:00 UTC of the next month's first day)."""
    after = parse_month(add_months(month, 1))
    return datetime(after.year, after.month, 1, tzinfo=UTC) + timedelta(days=days_after)


@dataclass(frozen=True)
class Due:
    """The newest month that must exist at some moment, and since when it has been due."""

    month: str
    since: datetime

    @property
    def since_text(self) -> str:
        return self.since.strftime("%Y-%m-%d %H:%M UTC")


def due_month(
    now: datetime, days_after: int, start: str, end: str | None = None, january_with_february: bool = False
) -> Due | None:
    """The newest month between `start` and `end` (inclusive; no end: open) whose deadline passed at `now`,
    None while even `start` is not due yet. `january_with_february`: January is never published alone (the
    statistics' combined January-February release), so while only January's deadline has passed, the month
    due is still December."""
    now = now.astimezone(UTC)
    candidate = month_key(now.date())
    if end is not None and candidate > end:
        candidate = end
    # the deadline of a month is at least its end: walk back from the current month (a few steps at most)
    while candidate >= start and month_deadline(candidate, days_after) > now:
        candidate = add_months(candidate, -1)
    if january_with_february and candidate.endswith("-01"):
        candidate = add_months(candidate, -1)
    if candidate < start:
        return None
    return Due(candidate, month_deadline(candidate, days_after))
