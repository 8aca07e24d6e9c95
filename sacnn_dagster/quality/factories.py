"""Verdict on the month's factory points (`factories`): how much the factory count changed since the
previous month that has factories."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sacnn_dagster.config.limits import Limits
from sacnn_dagster.quality.verdict import Measured, Severity, Verdict, finite_or_none


@dataclass(frozen=True)
class FactorySet:
    """One month's factories as the count check sees them."""

    month: str
    snapshot: str
    ids: frozenset[str]


def factory_count_change(current: FactorySet, previous: FactorySet | None, limits: Limits = Limits()) -> Verdict:
    """The factory count against the previous month that has factories (a warning: a real wave of
    openings or closures is possible, a broken export more likely)."""
    n = len(current.ids)
    most = limits.max_factory_count_change
    measured: Measured = {
        "factories": n,
        "snapshot": current.snapshot,
        "max_relative_change": most,
        "previous_month": None,
        "previous_snapshot": None,
        "previous_factories": None,
        "relative_change": None,
        "added": None,
        "removed": None,
    }
    if previous is None:
        return Verdict(True, f"{n} factories; no earlier month to compare with", measured, Severity.WARN)
    m = len(previous.ids)
    change = (n - m) / m if m else (0.0 if n == 0 else math.inf)
    measured.update(
        {
            "previous_month": previous.month,
            "previous_snapshot": previous.snapshot,
            "previous_factories": m,
            "relative_change": finite_or_none(change),
            "added": len(current.ids - previous.ids),
            "removed": len(previous.ids - current.ids),
        }
    )
    text = (
        f"{n} factories (snapshot {current.snapshot}) against {m} in {previous.month} "
        f"(snapshot {previous.snapshot}): {change:+.1%}"
    )
    passed = abs(change) <= most
    text = text if passed else f"{text}, beyond ±{most:.0%}"
    return Verdict(passed, text, measured, Severity.WARN)
