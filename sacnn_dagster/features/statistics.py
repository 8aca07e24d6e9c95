"""Published monthly GVIO statistics (the labels).

`statistics/gvio_monthly.csv`: `month,gvio[,gvio_ytd]` in 亿元. `month` is `YYYY-MM`, or `YYYY-MM/YYYY-MM`
for one value covering several months (the combined January-February release). Combined values are kept
as such: the model trains on the sum of its monthly predictions, never on a split guess.

Every problem is a `BadInput` naming the file and the line (the physical line, blank lines counted): a value
that cannot be right (non-finite, negative, or implausibly far from the rest: statistics_plausible.py) is
refused here, where it enters, not discovered later by the model.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from sacnn_dagster.config.bad_input import BadInput
from sacnn_dagster.config.months import month_range, parse_month
from sacnn_dagster.features.csv_text import decode_csv_bytes
from sacnn_dagster.features.statistics_plausible import ratio_problems, value_problem

COLUMNS = ["period", "first_month", "last_month", "n_months", "gvio", "gvio_ytd"]


def _rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header and (line, {column: text}) of each non-blank row."""
    text, _ = decode_csv_bytes(path.read_bytes(), str(path))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader, [])]
        for col in ("month", "gvio"):
            if col not in header:
                raise BadInput(f"missing column {col!r} (expected month,gvio[,gvio_ytd])", path, 1)
        rows = []
        for record in reader:
            if not any(field.strip() for field in record):
                continue
            if len(record) > len(header):
                raise BadInput(f"{len(record)} fields, the header has {len(header)}", path, reader.line_num)
            rows.append((reader.line_num, dict(zip(header, record))))
    except csv.Error as exc:  # a field over csv's limit, a NUL
        raise BadInput(f"not CSV: {exc}", path, reader.line_num) from None
    return header, rows


def _number(text: str, column: str, path: Path, line: int) -> float:
    try:
        return float(text)
    except ValueError:
        raise BadInput(f"{column} {text!r} is not a number", path, line) from None


def _month(text: str, path: Path, line: int):
    try:
        return parse_month(text)
    except ValueError as exc:
        raise BadInput(str(exc), path, line) from None


def parse_statistics(path: Path) -> pd.DataFrame:
    """One row per published value: period, first_month, last_month, n_months, gvio, gvio_ytd."""
    _, rows = _rows(path)
    records = []
    covered: dict[str, int] = {}
    for line, row in rows:
        period = row.get("month", "").strip()
        parts = period.split("/")
        if len(parts) > 2:
            raise BadInput(f"month {period!r} is neither YYYY-MM nor YYYY-MM/YYYY-MM", path, line)
        first, last = parts[0].strip(), parts[-1].strip()
        if _month(last, path, line) < _month(first, path, line):
            raise BadInput(f"period {period!r} ends before it starts", path, line)
        months = month_range(first, last)
        for m in months:
            if m in covered:
                raise BadInput(f"month {m} is already covered by line {covered[m]}", path, line)
            covered[m] = line
        gvio = _number(row.get("gvio", ""), "gvio", path, line)
        ytd_text = (row.get("gvio_ytd") or "").strip()
        ytd = _number(ytd_text, "gvio_ytd", path, line) if ytd_text else float("nan")
        for column, value, written in (("gvio", gvio, row.get("gvio", "")), ("gvio_ytd", ytd, ytd_text)):
            problem = value_problem(value, written) if column == "gvio" or ytd_text else None
            if problem is not None:
                raise BadInput(f"{column} {problem}", path, line)
        records.append(
            {"period": period, "first_month": first, "last_month": last, "n_months": len(months), "gvio": gvio}
            | {"gvio_ytd": ytd, "line": line}
        )
    far = ratio_problems([(r["line"], r["gvio"], r["n_months"]) for r in records])
    if far:
        (line, problem), more = far[0], [str(other) for other, _ in far[1:]]
        also = f" (so are lines {', '.join(more[:5])}{', ...' if len(more) > 5 else ''})" if more else ""
        raise BadInput(f"gvio {problem}{also}", path, line)
    out = pd.DataFrame(records, columns=COLUMNS)
    return out.sort_values("first_month", kind="stable").reset_index(drop=True)
