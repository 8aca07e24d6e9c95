"""Amap POI snapshots -> factory points in WGS84.

A snapshot is `pois/YYYY-MM.csv` with Amap's export fields. The snapshot in force for a month is the newest
one not after it. Rows that cannot be used are never dropped silently: each is counted by reason and
returned (with its line number) so the caller can quarantine it. That includes lines no POI row can be
(over `MAX_LINE_CHARS`, or not CSV at all): quarantined by line number, the rest of the snapshot kept,
where csv alone stops the whole file at its first field over 131,072 characters without naming the line.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sacnn_dagster.config.bad_input import BadInput
from sacnn_dagster.config.months import parse_month
from sacnn_dagster.features.csv_text import decode_csv_bytes
from sacnn_dagster.geo.gcj02 import gcj02_to_wgs84

AMAP_FIELDS = ("id", "name", "type", "typecode", "address", "location", "pname", "cityname", "adname")
_SNAPSHOT = re.compile(r"^(\d{4}-\d{2})\.csv$")
_LOCATION = r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$"
#: The longest line a POI row may be. Amap's nine fields (a name, a type path, an address, a location, three
#: place names) make rows of a few hundred characters, under 2,000 with the longest names; 32 times that is
#: no POI but a broken export (a whole file on one line, binary junk), quarantined without being parsed.
MAX_LINE_CHARS = 65_536
#: How much of a quarantined long line the quarantine file keeps: enough to recognize it.
_KEPT_OF_LONG_LINE = 200


def list_snapshots(names: list[str]) -> dict[str, str]:
    """month -> snapshot file name, from the names in a POI folder (top level only). Other files are
    ignored; a YYYY-MM.csv with an impossible month raises."""
    out = {}
    for name in sorted(names):
        m = _SNAPSHOT.match(name)
        if m:
            parse_month(m.group(1), name)
            out[m.group(1)] = name
    return out


def snapshot_for_month(snapshots: dict[str, str], month: str) -> tuple[str, str, bool] | None:
    """(snapshot month, file name, taken_from_later) for `month`: the newest snapshot not after it. Before the
    first snapshot the earliest one stands in, flagged, as the paper applied one 2022 snapshot to every
    year; a region with no snapshot at all gives None."""
    if not snapshots:
        return None
    eligible = [m for m in snapshots if m <= month]
    chosen = max(eligible) if eligible else min(snapshots)
    return chosen, snapshots[chosen], not eligible


def _as_csv(fields: list[str]) -> str:
    """A row's fields as one CSV line, for the quarantine file."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(fields)
    return buf.getvalue()


@dataclass
class SnapshotRows:
    rows: pd.DataFrame  # all well-formed rows, strings, with `line` (1-based line in the file)
    rejected: pd.DataFrame  # columns line, reason, raw
    encoding: str
    unreadable_lines: tuple[int, ...] = ()  # lines over MAX_LINE_CHARS or not CSV, among `rejected`


def _shortened(text: str) -> str:
    return f"{text[:_KEPT_OF_LONG_LINE]}... ({len(text):,} characters)"


def _short_lines(text: str, rejected: list[tuple[int, str, str]]) -> list[str]:
    """The file's lines (as csv counts them) with each one over `MAX_LINE_CHARS` emptied (its line ending
    kept, so the line numbers after it stay true) and added to `rejected`."""
    lines = list(io.StringIO(text, newline=""))
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_CHARS:
            rejected.append((number, f"line over {MAX_LINE_CHARS:,} characters", _shortened(line)))
            lines[number - 1] = line[len(line.rstrip("\r\n")) :] or "\n"
    return lines


def read_snapshot(path: Path) -> SnapshotRows:
    """The snapshot's rows; an empty file, a header that is not Amap's, or one that is no CSV raises a
    `BadInput` naming the file, a bad row is kept in `rejected` with its line number."""
    text, encoding = decode_csv_bytes(path.read_bytes(), str(path))
    rejected: list[tuple[int, str, str]] = []
    reader = csv.reader(_short_lines(text, rejected))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise BadInput(f"empty file, expected a header with {', '.join(AMAP_FIELDS)}", path) from None
    except csv.Error as exc:
        raise BadInput(f"the header is not CSV: {exc}", path, reader.line_num) from None
    if rejected and rejected[0][0] == 1:
        raise BadInput(f"the header is over {MAX_LINE_CHARS:,} characters", path, 1)
    missing = [f for f in AMAP_FIELDS if f not in header]
    if missing:
        raise BadInput(f"missing column(s) {', '.join(missing)} (Amap export fields expected)", path, 1)
    unreadable = [line for line, _, _ in rejected]
    good = []
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # a NUL, a quoted field running on past csv's limit: that record only
            unreadable.append(reader.line_num)
            rejected.append((reader.line_num, f"not CSV: {exc}", ""))
            continue
        line = reader.line_num
        if not record or all(not c.strip() for c in record):
            continue
        if sum(map(len, record)) > MAX_LINE_CHARS:  # short lines joined by a quote that never closes
            unreadable.append(line)
            rejected.append((line, f"row over {MAX_LINE_CHARS:,} characters", _shortened(_as_csv(record))))
        elif len(record) != len(header):
            rejected.append((line, f"{len(record)} fields, header has {len(header)}", _as_csv(record)))
        else:
            good.append([line, *record])
    rows = pd.DataFrame(good, columns=["line", *header]).astype({"line": "int64"})
    return SnapshotRows(
        rows=rows,
        rejected=pd.DataFrame(rejected, columns=["line", "reason", "raw"]).astype({"line": "int64"}),
        encoding=encoding,
        unreadable_lines=tuple(sorted(unreadable)),
    )


@dataclass
class FactoryExtraction:
    factories: gpd.GeoDataFrame
    counts: dict[str, int]
    rejected: pd.DataFrame  # line, reason, raw


def _is_factory(typecodes: pd.Series, prefixes: tuple[str, ...]) -> pd.Series:
    exploded = typecodes.fillna("").str.split("|").explode().str.strip()
    return exploded.str.startswith(prefixes).groupby(level=0).any().reindex(typecodes.index, fill_value=False)


def extract_factories(
    snapshot: SnapshotRows, typecode_prefixes: tuple[str, ...], poi_crs: str, area
) -> FactoryExtraction:
    """Category filter, location parsing, GCJ-02 -> WGS84, duplicates merged (same id, or same name at
    the same place), points outside `area` (shapely geometry, WGS84) dropped. Every row is accounted for:
    counts['rows'] == factories + every drop reason."""
    rows = snapshot.rows
    counts = {"rows": len(rows) + len(snapshot.rejected), "malformed_rows": len(snapshot.rejected)}
    rejected = [snapshot.rejected]

    is_factory = _is_factory(rows["typecode"], typecode_prefixes)
    counts["not_factory_category"] = int((~is_factory).sum())
    rows = rows[is_factory]

    xy = rows["location"].str.extract(_LOCATION).astype(float)
    lng, lat = xy[0].to_numpy(), xy[1].to_numpy()
    valid = np.isfinite(lng) & np.isfinite(lat) & (np.abs(lng) <= 180) & (np.abs(lat) <= 90)
    valid &= rows["id"].str.strip().ne("").to_numpy()
    bad = rows[~valid]
    raw = bad[list(AMAP_FIELDS)].apply(lambda r: _as_csv(r.tolist()), axis=1) if len(bad) else []
    rejected.append(pd.DataFrame({"line": bad["line"], "reason": "bad id or location", "raw": raw}))
    counts["bad_location"] = int((~valid).sum())
    rows = rows[valid].copy()
    rows["lng_source"], rows["lat_source"] = lng[valid], lat[valid]

    if poi_crs == "gcj02":
        w_lng, w_lat = gcj02_to_wgs84(rows["lng_source"].to_numpy(), rows["lat_source"].to_numpy())
    else:
        w_lng, w_lat = rows["lng_source"].to_numpy(), rows["lat_source"].to_numpy()
    rows["lng"], rows["lat"] = w_lng, w_lat

    rows["id"] = rows["id"].str.strip()
    dup_id = rows.duplicated("id", keep="first")
    counts["duplicate_id"] = int(dup_id.sum())
    rows = rows[~dup_id]
    dup_place = rows.duplicated(["name", "lng_source", "lat_source"], keep="first")
    counts["duplicate_name_place"] = int(dup_place.sum())
    rows = rows[~dup_place]

    inside = shapely.contains_xy(area, rows["lng"].to_numpy(), rows["lat"].to_numpy())
    counts["outside_area"] = int((~inside).sum())
    rows = rows[inside].sort_values("id", kind="stable")

    columns = ["id", "name", "type", "typecode", "address", "pname", "cityname", "adname", "lng_source", "lat_source"]
    factories = gpd.GeoDataFrame(
        rows[columns].reset_index(drop=True),
        geometry=gpd.points_from_xy(rows["lng"], rows["lat"]),
        crs="EPSG:4326",
    )
    counts["factories"] = len(factories)
    return FactoryExtraction(factories=factories, counts=counts, rejected=pd.concat(rejected, ignore_index=True))
