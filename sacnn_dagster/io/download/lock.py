"""Who downloads at once: a few slots per cache folder, shared by every `Downloader` of the process, and a lock
per file across processes (filelock), so that a file is downloaded once however many ask for it."""

from __future__ import annotations

import threading
from pathlib import Path

from filelock import FileLock

_SLOTS: dict[Path, threading.BoundedSemaphore] = {}
_SLOTS_LOCK = threading.Lock()


def download_slots(folder: Path, size: int) -> threading.BoundedSemaphore:
    """The process-wide download slots of one cache folder (sized by the first Downloader on it)."""
    with _SLOTS_LOCK:
        return _SLOTS.setdefault(folder.resolve(), threading.BoundedSemaphore(size))


def file_lock(path: Path) -> FileLock:
    """An exclusive lock on `path` (created with its folders; it stays, so waiters share one inode). A new
    lock each call, so that threads of one process wait for each other too, not only other processes."""
    return FileLock(path)
