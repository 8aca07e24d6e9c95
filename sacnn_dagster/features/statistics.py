"""Published monthly GVIO statistics (the labels).

`statistics/gvio_monthly.csv`: `month,gvio[,gvio_ytd]` in 亿元. `month` is `YYYY-MM`, or `YYYY-MM/YYYY-MM`
for one value covering several months (the combined January-February release). Combined values are kept
as such: the model trains on the sum of its monthly predictions, never on a split guess.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sacnn_dagster.config.months import month_range, parse_month
from sacnn_dagster.features.csv_text import decode_csv_bytes


def parse_statistics(path: Path) -> pd.DataFrame:
    """One row per published value: period, first_month, last_month, n_months, gvio, gvio_ytd.
    Every problem raises naming the file and line."""
    import io

    text, _ = decode_csv_bytes(path.read_bytes(), str(path))
    raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    raw.columns = [c.strip() for c in raw.columns]
    for col in ("month", "gvio"):
        if col not in raw.columns:
            raise ValueError(f"{path}: missing column {col!r} (expected month,gvio[,gvio_ytd])")
    records = []
    covered: dict[str, int] = {}
    for i, row in raw.iterrows():
        line = i + 2
        where = f"{path}, line {line}"
        period = row["month"].strip()
        parts = period.split("/")
        if len(parts) > 2:
            raise ValueError(f"{where}: month {period!r} is neither YYYY-MM nor YYYY-MM/YYYY-MM")
        first, last = parts[0], parts[-1]
        if parse_month(last, where) < parse_month(first, where):
            raise ValueError(f"{where}: period {period!r} ends before it starts")
        months = month_range(first, last)
        for m in months:
            if m in covered:
                raise ValueError(f"{where}: month {m} is already covered by line {covered[m]}")
            covered[m] = line
        try:
            gvio = float(row["gvio"])
        except ValueError:
            raise ValueError(f"{where}: gvio {row['gvio']!r} is not a number") from None
        if not gvio >= 0:
            raise ValueError(f"{where}: gvio {gvio} must be a non-negative number of 亿元")
        ytd_text = row.get("gvio_ytd", "").strip() if "gvio_ytd" in raw.columns else ""
        try:
            ytd = float(ytd_text) if ytd_text else float("nan")
        except ValueError:
            raise ValueError(f"{where}: gvio_ytd {ytd_text!r} is not a number") from None
        records.append(
            {
                "period": period,
                "first_month": first,
                "last_month": last,
                "n_months": len(months),
                "gvio": gvio,
                "gvio_ytd": ytd,
            }
        )
    out = pd.DataFrame(records, columns=["period", "first_month", "last_month", "n_months", "gvio", "gvio_ytd"])
    return out.sort_values("first_month", kind="stable").reset_index(drop=True)
