"""What the source sensors decide, without Dagster: which months of a source are new or changed since the
last look, and a listing of a local folder that stays current without being re-read in full.

- `FolderIndex`: every file below a local folder; a refresh stats each known directory and re-lists only
  those whose modification time moved (adding, removing or renaming an entry changes its directory's mtime),
  so a tree of thousands of composites costs a few hundred `stat` calls per sensor tick.
- `MonthVersionWatcher`: {month: version} of a night-light source, recomputed only when the listing changed
  (local) or from the listings of new and recent months (remote; the whole archive once a day).
- `VersionCursor`: what a sensor has already requested, as short hashes, small enough to be stored with every
  sensor tick, with a generation counter so that every request gets a run key of its own.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sacnn_dagster.config.months import add_months
from sacnn_dagster.features.pois import snapshot_for_month
from sacnn_dagster.nightlights.source import NightlightSource

#: A remote archive is re-read whole this often by a sensor: a reprocessed old month shows within a day.
FULL_LOOK_S = 24 * 3600
#: Between, the newest months' folders are re-read every look: EOG replaces a fresh month's file now and
#: then within weeks (a corrected processing), and a month's files may arrive one by one.
RECENT_MONTHS = 3
#: A directory modified this recently may change again within the file system's timestamp granularity
#: without its mtime moving (2 s on FAT and some network file systems): list it again next time.
RACY_NS = 2_000_000_000


@dataclass(frozen=True)
class _Directory:
    mtime_ns: int | None  # None: not to be trusted, list again
    files: tuple[str, ...]
    subdirectories: tuple[str, ...]


class FolderIndex:
    """Every file below `root` (relative posix paths), as `LocalFolder.list_files` gives them, kept current
    by `refresh`. Symbolic links to directories are not followed, as `os.walk` does not follow them."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self._directories: dict[str, _Directory] = {}
        #: Directories read by the last refresh (the rest were only stat'ed).
        self.last_listed = 0

    def _list(self, path: Path, mtime_ns: int) -> _Directory:
        files, subdirectories = [], []
        with os.scandir(path) as entries:
            for entry in entries:
                if not entry.is_dir():
                    files.append(entry.name)
                elif not entry.is_symlink():
                    subdirectories.append(entry.name)
        trusted = time.time_ns() - mtime_ns > RACY_NS
        return _Directory(mtime_ns if trusted else None, tuple(sorted(files)), tuple(sorted(subdirectories)))

    def refresh(self) -> bool:
        """Bring the index up to date; True when files were added or removed since the last refresh."""
        if not self.root.is_dir():
            raise FileNotFoundError(f"folder {self.root} does not exist")
        current: dict[str, _Directory] = {}
        self.last_listed = 0
        pending = [""]
        while pending:
            relative = pending.pop()
            path = self.root / relative
            try:
                # stat before listing: an entry added during the listing moves the mtime past the one kept
                mtime_ns = path.stat().st_mtime_ns
                known = self._directories.get(relative)
                if known is None or known.mtime_ns != mtime_ns:
                    known = self._list(path, mtime_ns)
                    self.last_listed += 1
            except FileNotFoundError:
                continue  # removed since its parent was listed: its files are gone
            current[relative] = known
            pending.extend(f"{relative}/{d}" if relative else d for d in known.subdirectories)
        changed = {k: v.files for k, v in current.items()} != {k: v.files for k, v in self._directories.items()}
        self._directories = current
        return changed

    @property
    def files(self) -> list[str]:
        return sorted(
            f"{directory}/{name}" if directory else name
            for directory, entry in self._directories.items()
            for name in entry.files
        )


class MonthVersionWatcher:
    """{month: version} of a night-light source, looked at again and again by a sensor.

    A source read from a local folder is listed through a `FolderIndex` and its months are chosen again only
    when a file was added or removed. A remote source (EOG, LAADS, S3) is kept between looks with what it
    listed: each look re-reads its product and year listings (where a new or late month shows) and the
    folders of its newest `RECENT_MONTHS` months and of months without files yet; the whole archive is
    re-read once every `FULL_LOOK_S` (a reprocessed old month shows then)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._index: FolderIndex | None = None
        self._versions: dict[str, str] | None = None
        self._remote: NightlightSource | None = None
        self._full_look_at: float | None = None

    def versions(self, source: NightlightSource) -> dict[str, str]:
        folder = source.local_folder()
        if folder is None:
            return self._remote_versions(source)
        if self._index is None or self._index.root != Path(folder):
            self._index, self._versions = FolderIndex(folder), None
        if self._index.refresh() or self._versions is None:
            source.use_listing(self._index.files)
            self._versions = source.available_months()
        return self._versions

    def _remote_versions(self, source: NightlightSource) -> dict[str, str]:
        now = self.clock()
        if self._remote is None or self._remote.location != source.location:
            self._remote, self._versions, self._full_look_at = source, None, None
        full = self._full_look_at is None or now - self._full_look_at >= FULL_LOOK_S
        newest = max(self._versions, default=None) if self._versions else None
        self._remote.forget_listings(None if full or newest is None else add_months(newest, 1 - RECENT_MONTHS))
        self._versions = self._remote.available_months()
        if full:
            self._full_look_at = now
        return self._versions

    @property
    def last_listed(self) -> int:
        """Directories read by the last look (0 for a source not read from a local folder)."""
        return self._index.last_listed if self._index else 0


def short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclass
class VersionCursor:
    """What a sensor has requested so far: a short hash of the version of each key (a month), and how many
    requests it made. Keys absent from the source now are kept: a file that comes back unchanged starts
    nothing."""

    known: dict[str, str] = field(default_factory=dict)
    generation: int = 0

    @classmethod
    def decode(cls, text: str | None) -> VersionCursor | None:
        if not text:
            return None
        data = json.loads(text)
        return cls(known=dict(data["known"]), generation=int(data["generation"]))

    def encode(self) -> str:
        return json.dumps({"known": dict(sorted(self.known.items())), "generation": self.generation})

    def with_known(self, versions: dict[str, str]) -> VersionCursor:
        """The cursor told that these keys are at these versions already (built by someone else)."""
        return VersionCursor({**self.known, **{key: short_hash(v) for key, v in versions.items()}}, self.generation)

    def changed(self, versions: dict[str, str]) -> list[str]:
        """Keys whose version differs from the one last requested (new keys included), sorted."""
        return sorted(key for key, v in versions.items() if self.known.get(key) != short_hash(v))

    def advanced(self, versions: dict[str, str], keys: list[str]) -> VersionCursor:
        """The cursor after requesting `keys` at `versions`."""
        known = self.with_known({key: versions[key] for key in keys}).known
        return VersionCursor(known=known, generation=self.generation + 1)


def run_key(kind: str, versions: dict[str, str], generation: int | str) -> str:
    """The run key of a request for the months of `versions` (month -> version): one month carries its
    version as it is, a stretch a digest of its months' versions; the generation makes a key new even when a
    month goes back to a version it had before (a withdrawn reprocessing)."""
    months = sorted(versions)
    if len(months) == 1:
        what = f"{months[0]} {versions[months[0]]}"
    else:
        what = f"{months[0]}..{months[-1]} {short_hash(json.dumps(sorted(versions.items())))}"
    return f"{kind} {what} #{generation}"


def snapshots_in_force(snapshot_digests: dict[str, str], months: list[str]) -> dict[str, str]:
    """month -> "snapshot month:sha256 of the snapshot" for the POI snapshot that applies to the month (the
    newest not after it; before the first, the earliest); {} when there is no snapshot."""
    out = {}
    for month in months:
        found = snapshot_for_month(snapshot_digests, month)
        if found is not None:
            out[month] = f"{found[0]}:{found[1]}"
    return out
