"""Where downloaded inputs are kept between runs, and how much of them: the least recently used go first."""

from __future__ import annotations

import os
from collections.abc import Callable
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


def hit(path: Path) -> bool:
    """Whether `path` is in the cache; touches it, so that the eviction sees it as recently used."""
    try:
        os.utime(path)
        return True
    except FileNotFoundError:
        return False


#: Where io/s3_catalogue.py mirrors s3:// catalogues, under the cache folder.
MIRRORS_FOLDER = "catalogues"


def evict(cache: CacheSettings, keep: Path | None = None, log: Callable[[str], None] | None = None) -> list[Path]:
    """Delete least recently used files (oldest modification time; a cache hit touches it) until the
    cache holds at most `cache.max_bytes`; never `keep`, partial downloads nor the mirrors of s3:// catalogues
    (`catalogues/`: region folders a run may be reading, not downloads to fetch again). The bound covers every
    other file in the cache folder, whoever wrote it. Returns the files deleted."""
    if cache.max_bytes is None or not cache.folder.is_dir():
        return []
    partial = cache.folder / "partial"
    files = []
    for dirpath, dirnames, names in os.walk(cache.folder):
        if Path(dirpath) == cache.folder:
            dirnames[:] = [d for d in dirnames if d not in (partial.name, MIRRORS_FOLDER)]
        for name in names:
            path = Path(dirpath) / name
            try:
                st = path.stat()
            except FileNotFoundError:  # another process evicted it meanwhile
                continue
            files.append((st.st_mtime, st.st_size, path))
    total = sum(size for _, size, _ in files)
    deleted = []
    for _, size, path in sorted(files):
        if total <= cache.max_bytes:
            break
        if keep is not None and path == keep:
            continue
        path.unlink(missing_ok=True)
        total -= size
        deleted.append(path)
    if deleted and log:
        log(
            f"download cache {cache.folder}: evicted {len(deleted)} least recently used file(s) to stay "
            f"under {cache.max_bytes / 1e9:.1f} GB"
        )
    return deleted
