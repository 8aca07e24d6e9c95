"""pydantic's ValidationError told as a settings file's user reads it: one line per problem, each naming the file,
the key with its path, the value and what is allowed; an unknown key with the nearest valid one.

    /data/pearl/region.yaml: unknown key(s) bufer_m (did you mean buffer_m?)
    /data/pearl/region.yaml: checks.r2_floor must be a number up to 1, not 1.5
"""

from __future__ import annotations

import difflib
import re
from os import PathLike
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from sacnn_dagster.config.schema import ALLOWED

_MISSING = object()


def explain(error: ValidationError, file: str | PathLike, schema: type[BaseModel], data: Any) -> str:
    """The problems `error` found in `data` (read from `file`, validated against `schema`), one line each."""
    lines: list[str] = []
    unknown: dict[tuple, list[str]] = {}  # block path -> its unknown keys, told on one line where first met
    for details in error.errors(include_url=False):
        if details["type"] in ("extra_forbidden", "invalid_key"):  # invalid_key: not text, as `1: x`
            block = tuple(details["loc"][:-1])
            if block not in unknown:
                unknown[block] = []
                lines.append(block)  # a placeholder, filled in once every unknown key of the block is known
            unknown[block].append(str(details["loc"][-1]))
        else:
            lines.append(_problem(details, schema, data))
    told = [_unknown_keys(line, unknown[line], schema) if isinstance(line, tuple) else line for line in lines]
    # An error in several items of one list is told once, for the whole list.
    return "\n".join(f"{file}: {line}" for line in dict.fromkeys(told))


def _problem(details: ErrorDetails, schema: type[BaseModel], data: Any) -> str:
    path, field = _field_at(schema, details["loc"])
    where = ".".join(path)
    kind = details["type"]
    if kind == "missing":
        return f"required key {where!r} is missing"
    if kind in ("value_error", "assertion_error"):  # raised by our own validators, whose words name the value
        message = str(details.get("ctx", {}).get("error", details["msg"]))
        return f"{where}: {message}" if where else message
    value = _value_at(data, path)  # as written: before-validators may have changed it (`poi_crs: UTM`)
    if value is _MISSING:
        value = details["input"]
    if kind == "model_type":  # a block given as something other than a mapping
        keys = ", ".join(_keys(_model_of(field) if field else schema))
        if not where:
            return f"expected a mapping of settings ({keys}), not {value!r}"
        return f"{where} must be a mapping of {keys}, not {value!r}"
    words = _allowed(field)
    if words:
        return f"{where} must be {words}, not {value!r}"
    # pydantic's own words, about the item at fault: "Input should be 'gcj02' or 'wgs84'" -> "must be ..."
    wrong = _loc_text(details["loc"])
    should = re.sub(r"^\w+ should ", "must ", details["msg"])
    should = re.sub(r", unable to .*$", "", should)
    # the value as written where the problem is the key's own value (`urban_threshold: yes`), else the item's
    return f"{wrong} {should}, not {(value if wrong == where else details['input'])!r}"


def _unknown_keys(block: tuple, keys: list[str], schema: type[BaseModel]) -> str:
    model = schema
    for key in block:
        model = _model_of(_field_named(model, key)) or model
    known = _keys(model)
    told = []
    for key in keys:
        nearest = difflib.get_close_matches(key.lower(), known, n=1)
        told.append(f"{key} (did you mean {nearest[0]}?)" if nearest else key)
    text = f"unknown key(s) {', '.join(told)}"
    if len(told) > sum("did you mean" in t for t in told):  # some key has no near match: list them all
        text += f"; known: {', '.join(known)}"
    return f"{'.'.join(map(str, block))}: {text}" if block else text


def _allowed(field: FieldInfo | None) -> str | None:
    extra = field.json_schema_extra if field is not None else None
    return extra.get(ALLOWED) if isinstance(extra, dict) else None


def _keys(model: type[BaseModel]) -> list[str]:
    """The keys a block accepts, as written in the file."""
    return [field.alias or name for name, field in model.model_fields.items()]


def _field_named(model: type[BaseModel] | None, key: object) -> FieldInfo | None:
    if model is None:
        return None
    return next((f for name, f in model.model_fields.items() if (f.alias or name) == key), None)


def _model_of(field: FieldInfo | None) -> type[BaseModel] | None:
    annotation = field.annotation if field else None
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _field_at(schema: type[BaseModel], loc: tuple) -> tuple[tuple[str, ...], FieldInfo | None]:
    """The keys down to the innermost field `loc` points into (list items and union members left out), and
    that field."""
    path: list[str] = []
    model: type[BaseModel] | None = schema
    field = None
    for part in loc:
        inner = _field_named(model, part)
        if inner is None:
            break
        path.append(str(part))
        field, model = inner, _model_of(inner)
    return tuple(path), field


def _value_at(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        data = data.get(key, _MISSING) if isinstance(data, dict) else _MISSING
    return data


def _loc_text(loc: tuple) -> str:
    """('satellites', 1) -> 'satellites[1]'."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text
