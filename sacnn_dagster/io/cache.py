"""Where downloaded inputs are kept between runs, and how much of them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAX_GB = 20.0


def default_cache_folder() -> Path:
    """`$SACNN_CACHE`, else `$XDG_CACHE_HOME/sacnn_dagster`, else `~/.cache/sacnn_dagster`."""
    if os.environ.get("SACNN_CACHE"):
        return Path(os.environ["SACNN_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "sacnn_dagster"


@dataclass(frozen=True)
class CacheSettings:
    """A download cache shared by every run (and every region) on the machine. `max_bytes` bounds it:
    the least recently used files are evicted first; None means unbounded."""

    folder: Path
    max_bytes: int | None = int(DEFAULT_MAX_GB * 1e9)
