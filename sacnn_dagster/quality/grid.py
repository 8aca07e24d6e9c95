"""Verdict on the month's GVIO grid (`gvio_grid`): it adds up to the estimate it spreads."""

from __future__ import annotations

from sacnn_dagster.quality.verdict import Verdict, finite_or_none

#: The grid is float32: its sum may differ from the estimate by float32 rounding, never by more.
GRID_SUM_TOLERANCE = 1e-4


def grid_sum(estimate: float, stored_sum: float) -> Verdict:
    """The stored grid adds up to the estimate it spreads (a NaN anywhere fails)."""
    error = abs(stored_sum - estimate) / max(abs(estimate), 1e-9)
    measured = {
        "estimate": finite_or_none(estimate),
        "grid_sum": finite_or_none(stored_sum),
        "relative_error": finite_or_none(error),
        "tolerance": GRID_SUM_TOLERANCE,
    }
    passed = error <= GRID_SUM_TOLERANCE
    text = f"grid sum {stored_sum:.4f} against estimate {estimate:.4f} 亿元 (relative error {error:.1e})"
    return Verdict(passed, text if passed else f"{text}, beyond {GRID_SUM_TOLERANCE:g}", measured)
