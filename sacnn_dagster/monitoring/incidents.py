"""Incidents: what an alert is about, opened once and resolved once. The sensors keep the open ones in their
cursor (JSON), which Dagster stores in the instance: a tick, or a daemon started again, that finds the same
incident still open sends nothing; one that no longer finds it sends "resolved", once."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Incident:
    """One thing wrong: `key` identifies it across ticks ("freshness 2021-12", "ntl_composite composite_valid"),
    `title` says it in a few words (the resolved message repeats it), `text` is the alert."""

    key: str
    title: str
    text: str


@dataclass(frozen=True)
class Changes:
    opened: list[Incident]
    resolved: dict[str, str]
    """key -> title of each incident no longer found."""


def changes(open_titles: Mapping[str, str], current: Mapping[str, Incident]) -> Changes:
    """What to tell, given the incidents open before (key -> title) and the ones found now."""
    opened = [incident for key, incident in sorted(current.items()) if key not in open_titles]
    gone = {key: title for key, title in sorted(open_titles.items()) if key not in current}
    return Changes(opened, gone)


def read_cursor(cursor: str | None) -> dict[str, str]:
    """The open incidents (key -> title) a sensor's cursor holds; an empty or unreadable cursor holds none."""
    if not cursor:
        return {}
    try:
        value = json.loads(cursor)
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.get("open", {}).items()} if isinstance(value, dict) else {}


def write_cursor(open_titles: Mapping[str, str]) -> str:
    return json.dumps({"open": dict(sorted(open_titles.items()))}, sort_keys=True)
