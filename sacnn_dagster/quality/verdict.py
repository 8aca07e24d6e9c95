"""What a data-quality measurement returns: a `Verdict` (passed or not, a sentence for the user, the numbers
it measured, an error or a warning), and the small helpers that make its numbers safe to show.

Each module beside this one judges one kind of output: composite.py the month's night-light composite,
factories.py the factory points, patches.py the factory patches, estimates.py the monthly estimate, grid.py
the GVIO grid, model.py the held-out scores. The thresholds were chosen on the small and full demo regions,
an untuned demo region and the real Mumbai VIIRS cube (tests/data): every month of those passes with a
margin, and each threshold says below what kind of fault it fires. Those a region may want to set otherwise
are `Limits` (region.yaml `checks:`); the rest are physical or numerical facts, module constants.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum


class Severity(Enum):
    ERROR = "error"  # bad data: what follows must not use it (blocking checks stop it)
    WARN = "warn"  # unusual: shown in the UI, nothing stops


Measured = dict[str, float | int | str | bool | None]


@dataclass(frozen=True)
class Verdict:
    passed: bool
    description: str
    measured: Measured = field(default_factory=dict)
    severity: Severity = Severity.ERROR


def finite_or_none(x: float) -> float | None:
    """A finite float, or None (the UI and the event log want no NaN)."""
    return float(x) if x is not None and math.isfinite(x) else None


def share(part: int, whole: int) -> float:
    """`part / whole`, 0 for an empty whole."""
    return part / whole if whole else 0.0
