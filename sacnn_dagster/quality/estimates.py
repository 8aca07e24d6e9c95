"""Verdict on the month's estimate (`gvio_estimate`): possible at all, and plausible against the previous
months' estimates."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from sacnn_dagster.config.limits import Limits
from sacnn_dagster.quality.verdict import Measured, Severity, Verdict, finite_or_none

#: The previous months compared with (calendar months, those that have an estimate) ...
ESTIMATE_HISTORY_MONTHS = 12
#: ... and how many of them must exist before a month is judged at all.
MIN_HISTORY_MONTHS = 6


def estimate_plausibility(
    estimate: float, lower: float, upper: float, history: Sequence[float], limits: Limits = Limits()
) -> Verdict:
    """The month's SA-CNN estimate against the median of the previous months' (`history`, at most
    ESTIMATE_HISTORY_MONTHS). An impossible estimate (not finite, negative, outside its own interval) is an
    error: the grid would spread it; one outside the plausible band is a warning."""
    low, high = limits.estimate_band
    measured: Measured = {
        "estimate": finite_or_none(estimate),
        "lower": finite_or_none(lower),
        "upper": finite_or_none(upper),
        "history_months": len(history),
        "history_median": None,
        "ratio_to_median": None,
        "band_low": low,
        "band_high": high,
    }
    if not all(math.isfinite(x) for x in (estimate, lower, upper)) or estimate < 0 or not lower <= estimate <= upper:
        return Verdict(False, f"impossible estimate {estimate} (interval {lower}..{upper}) 亿元", measured)
    median = float(np.median(history)) if len(history) else math.nan
    if len(history) < MIN_HISTORY_MONTHS or not median > 0:
        return Verdict(
            True,
            f"{estimate:.2f} 亿元; {len(history)} earlier month(s) with an estimate, fewer than "
            f"{MIN_HISTORY_MONTHS}: nothing to compare with",
            measured,
            Severity.WARN,
        )
    ratio = estimate / median
    measured.update({"history_median": median, "ratio_to_median": ratio})
    text = f"{estimate:.2f} 亿元 is {ratio:.2f} x the median of the previous {len(history)} months ({median:.2f})"
    passed = low <= ratio <= high
    return Verdict(passed, text if passed else f"{text}, outside {low:g}..{high:g}", measured, Severity.WARN)
