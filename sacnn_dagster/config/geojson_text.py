"""A region's GeoJSON files checked as text before anything runs: that each parses as JSON and has GeoJSON's
shape, or a `BadInput` naming the file, the line and the column (for JSON) or the member at fault (for the
shape). GDAL, which reads the polygons later, says only "Failed to read GeoJSON data" and names no place.

What is checked is what GDAL needs to read the file at all (RFC 7946's structure: a FeatureCollection of
Features, a Feature, or a bare geometry; positions of at least two numbers). Whether the polygons make sense
(inside the composites, the required properties) is checked by their readers, which know what they need.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from sacnn_dagster.config.bad_input import BadInput, utf8_text

GEOMETRY_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon")
#: (path, size, modification time) -> checked: a code server loads the region several times; a land-use layer
#: may be tens of MB, parsed once per version of the file.
_CHECKED: set[tuple[str, int, int]] = set()


def check_geojson(path: Path) -> None:
    """Raise `BadInput` naming `path` (and the line and column, or the member) unless it is GeoJSON."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key in _CHECKED:
        return
    data = parse_geojson(path.read_bytes(), path)
    problem = _shape_problem(data)
    if problem is not None:
        raise BadInput(f"not GeoJSON: {problem}", path)
    _CHECKED.add(key)


def parse_geojson(raw: bytes, path: str | Path) -> Any:
    """The JSON in `raw`, or `BadInput` naming `path`, the line and the column of the first fault."""
    text = utf8_text(raw, path, " (GeoJSON is UTF-8)")
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise BadInput(f"not valid JSON: {exc.msg}", path, exc.lineno, exc.colno) from None
    except _Constant as exc:
        line, column = _position(text, exc.word)
        raise BadInput(f"not valid JSON: {exc.word} is not a number JSON allows", path, line, column) from None
    except RecursionError:
        raise BadInput("not valid JSON: nested too deeply", path) from None
    except ValueError as exc:  # a number too long to convert
        raise BadInput(f"not valid JSON: {exc}", path) from None


class _Constant(ValueError):
    def __init__(self, word: str):
        self.word = word


def _no_constant(word: str) -> Any:
    raise _Constant(word)  # NaN, Infinity, -Infinity: Python's json reads them, JSON (and GDAL) does not


def _position(text: str, word: str) -> tuple[int, int]:
    """Where `word` stands as a value (after `:`, `,` or `[`), not inside a string such as "Infinity Park"."""
    found = re.search(r"[:,\[]\s*(" + re.escape(word) + ")", text)
    at = found.start(1) if found else 0
    return text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1


def _shape_problem(data: Any) -> str | None:
    """What makes `data` not GeoJSON, with the member's path ('features[3].geometry.type'), or None."""
    if not isinstance(data, dict):
        return f"expected an object with a `type`, found {_kind(data)}"
    kind = data.get("type")
    if kind == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list):
            return f"features must be a list of Features, found {_kind(features)}"
        for i, feature in enumerate(features):
            problem = _feature_problem(feature, f"features[{i}]")
            if problem is not None:
                return problem
        return None
    if kind == "Feature":
        return _feature_problem(data, "the Feature")
    return _geometry_problem(data, "the geometry")


def _feature_problem(feature: Any, at: str) -> str | None:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return f'{at} must be an object with "type": "Feature"'
    properties = feature.get("properties")
    if properties is not None and not isinstance(properties, dict):
        return f"{at}.properties must be an object or null, found {_kind(properties)}"
    geometry = feature.get("geometry")
    return None if geometry is None else _geometry_problem(geometry, f"{at}.geometry")


def _geometry_problem(geometry: Any, at: str) -> str | None:
    if not isinstance(geometry, dict):
        return f"{at} must be an object or null, found {_kind(geometry)}"
    kind = geometry.get("type")
    if kind == "GeometryCollection":
        members = geometry.get("geometries")
        if not isinstance(members, list):
            return f"{at}.geometries must be a list, found {_kind(members)}"
        for i, member in enumerate(members):
            problem = _geometry_problem(member, f"{at}.geometries[{i}]")
            if problem is not None:
                return problem
        return None
    if kind not in GEOMETRY_TYPES:
        allowed = ", ".join(("FeatureCollection", "Feature", *GEOMETRY_TYPES, "GeometryCollection"))
        return f"{at}.type must be one of {allowed}, not {kind!r}"
    depth = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2}.get(kind, 3)
    coordinates = geometry.get("coordinates")
    problem = _coordinates_problem(coordinates, depth)
    if problem is None and kind in ("Polygon", "MultiPolygon"):
        problem = _ring_problem(coordinates if kind == "MultiPolygon" else [coordinates])
        if problem is not None and kind == "Polygon":
            problem = (problem[0].removeprefix("[0]"), problem[1])
    return None if problem is None else f"{at}.coordinates{problem[0]} must be {problem[1]}"


def _ring_problem(polygons: list) -> tuple[str, str] | None:
    """A polygon's rings are closed (first position = last) and have at least four positions: GEOS refuses
    anything else, in words that name no file."""
    for i, rings in enumerate(polygons):
        for j, ring in enumerate(rings):
            if len(ring) < 4 or ring[0] != ring[-1]:
                return f"[{i}][{j}]", "a closed ring (4 or more positions, the last equal to the first)"
    return None


def _coordinates_problem(value: Any, depth: int) -> tuple[str, str] | None:
    """(index path, what it must be) of the first fault in nested lists `depth` deep around positions of two or
    more finite numbers, or None. The path is built only for a fault: a land-use layer has millions of points."""
    if depth == 0:
        if isinstance(value, list) and len(value) >= 2 and all(map(_finite_number, value)):
            return None
        return "", f"a position [longitude, latitude], not {_short(value)}"
    if not isinstance(value, list):
        return "", f"a list, not {_kind(value)}"
    for i, item in enumerate(value):
        problem = _coordinates_problem(item, depth - 1)
        if problem is not None:
            return f"[{i}]{problem[0]}", problem[1]
    return None


def _finite_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "text", bool: "true/false"}.get(type(value), "a number")


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."
