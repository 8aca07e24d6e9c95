"""What the sensors of one code location remember between ticks, beyond their cursors."""

from __future__ import annotations

import threading
from pathlib import Path

import dagster as dg

from sacnn_dagster.defs.resources.region import RegionResource
from sacnn_dagster.versioning.source_scan import MonthVersionWatcher
from sacnn_dagster.versioning.versions import content_digest


class InputWatch:
    """The night-light source's listing (a `MonthVersionWatcher`: a folder index, or a remote archive's
    pages) and the sha256 of the input files already read, kept for the next tick so that an unchanged
    source costs a few stats and no new listing.

    One is made with the Definitions of one region (code_location.py) and shared by that region's sensors
    and schedule. Why this state is safe outside the cursor: sensors are evaluated in the code server, a
    long-lived process that keeps these Definitions between ticks; all of it can be rebuilt from the inputs,
    so losing it (a restart, a reload of the code location, which builds new Definitions) costs one full
    listing and is never wrong; what must survive a restart (the versions already requested) is in each
    sensor's cursor. A lock serialises its users, which Dagster may evaluate on different threads."""

    def __init__(self, partitions: dg.PartitionsDefinition) -> None:
        self._partitions = partitions
        self._lock = threading.Lock()
        self._source: tuple | None = None
        self._watcher = MonthVersionWatcher()
        self._digests: dict[str, tuple[tuple[int, int, int], str]] = {}

    def composite_versions(self, region: RegionResource) -> dict[str, str]:
        """month -> version of every partition month that has a composite."""
        cfg = region.config
        source = (str(cfg.root), repr(cfg.nightlights), cfg.satellites, cfg.configs)
        with self._lock:
            if source != self._source:  # another source: its own listing
                self._source, self._watcher = source, MonthVersionWatcher()
            versions = self._watcher.versions(region.nightlights)
        keys = set(self._partitions.get_partition_keys())
        return {m: v for m, v in versions.items() if m in keys}

    def file_digest(self, path: Path) -> str:
        """sha256 of the file's content, read again only when its size, mtime or ctime moved: any write
        changes the ctime, so a revision is always read, while an unchanged POI export of tens of MB is not
        re-read every tick."""
        st = path.stat()
        stamp = (st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        with self._lock:
            known = self._digests.get(str(path))
        if known is None or known[0] != stamp:
            known = (stamp, content_digest(path))
            with self._lock:
                self._digests[str(path)] = known
        return known[1]
