"""Which published GVIO values cannot be right, decided where they enter (the statistics file), so that a unit
mistake or a spreadsheet's placeholder never reaches the model as a label.

The rule, fixed in advance and tuned on no region:

- a value must be a finite number, not negative (GVIO is an output, in 亿元);
- a value's monthly mean (a combined January-February value counts for two months) must lie within a factor
  `MAX_RATIO` = 1000 of the median monthly mean of the file's positive values, once the file has at least
  `MIN_VALUES_FOR_RATIO` = 3 of them.

Why 1000: the unit mistakes a published table invites are 元 or 万元 for 亿元 (factors of 10^8 and 10^4 too
large) and 万亿元 (10^4 too small). A real region's monthly output moves far less: a seasonal swing of two to
three times, a lockdown month a third of normal, ten times over two decades of growth. 1000 leaves a hundred
times that margin, and still catches the smallest unit mistake by a factor of ten. Zero is allowed (a month a
region published as nothing) and left out of the median.
"""

from __future__ import annotations

import math
import statistics as stats

MAX_RATIO = 1000.0
MIN_VALUES_FOR_RATIO = 3


def value_problem(value: float, written: str = "") -> str | None:
    """Why one value (as `written` in the file) cannot be GVIO, or None."""
    if not math.isfinite(value):
        return f"{(written.strip() or str(value))!r} is not a finite number"
    if value < 0:
        return f"{value} must be a non-negative number of 亿元"
    return None


def ratio_problems(monthly: list[tuple[int, float, int]]) -> list[tuple[int, str]]:
    """(line, why) for each (line, value, months covered) whose monthly mean lies more than `MAX_RATIO` times
    away from the file's median monthly mean (see the module's docstring)."""
    positive = [value / months for _, value, months in monthly if value > 0]
    if len(positive) < MIN_VALUES_FOR_RATIO:
        return []
    median = stats.median(positive)
    problems = []
    for line, value, months in monthly:
        mean = value / months
        if mean > median * MAX_RATIO or 0 < mean < median / MAX_RATIO:
            far = f"over {MAX_RATIO:g} times" if mean > median else f"under 1/{MAX_RATIO:g} of"
            per_month = f" ({mean:.4g} a month)" if months > 1 else ""
            why = f"{value:g} 亿元{per_month} is {far} the file's median of {median:.4g} 亿元 a month"
            units = "元 or 万元" if mean > median else "万亿元"
            problems.append((line, f"{why}: a unit mistake ({units} instead of 亿元)?"))
    return problems
