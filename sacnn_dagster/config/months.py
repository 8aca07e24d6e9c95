"""Calendar months as 'YYYY-MM' strings, the partition keys of the whole pipeline."""

from __future__ import annotations

import re
from datetime import date

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str, where: str = "") -> date:
    """'YYYY-MM' -> first day of that month; a clear error naming `where` otherwise."""
    m = _MONTH.match(str(text).strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"{where + ': ' if where else ''}month {text!r} is not YYYY-MM")
    return date(int(m.group(1)), int(m.group(2)), 1)


def month_key(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def add_months(month: str, n: int) -> str:
    d = parse_month(month)
    index = d.year * 12 + d.month - 1 + n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_range(start: str, end: str) -> list[str]:
    """Inclusive list of months from start to end."""
    s, e = parse_month(start), parse_month(end)
    count = (e.year - s.year) * 12 + e.month - s.month + 1
    return [add_months(start, i) for i in range(max(count, 0))]


def contiguous_stretches(months: list[str]) -> list[tuple[str, str]]:
    """['2014-01','2014-02','2014-04'] -> [('2014-01','2014-02'), ('2014-04','2014-04')]."""
    stretches: list[tuple[str, str]] = []
    for m in sorted(months):
        if stretches and add_months(stretches[-1][1], 1) == m:
            stretches[-1] = (stretches[-1][0], m)
        else:
            stretches.append((m, m))
    return stretches
