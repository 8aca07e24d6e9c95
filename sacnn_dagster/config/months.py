"""Calendar months as 'YYYY-MM' strings, the partition keys of the whole pipeline."""

from __future__ import annotations

import re
from datetime import date

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str, where: str = "") -> date:
    """'YYYY-MM' -> first day of that month; a clear error naming `where` otherwise: a text of another shape
    is not YYYY-MM, while 2020-13 is YYYY-MM with a month that does not exist."""
    prefix = f"{where}: " if where else ""
    m = _MONTH.match(str(text).strip())
    if not m:
        raise ValueError(f"{prefix}month {text!r} is not YYYY-MM")
    year, month = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"{prefix}{m.group(0)}: month {m.group(2)} does not exist (01..12)")
    if year < 1:
        raise ValueError(f"{prefix}{m.group(0)}: year 0000 does not exist")
    return date(year, month, 1)


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
