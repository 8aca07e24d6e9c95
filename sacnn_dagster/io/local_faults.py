"""Faults of the machine itself (a full disk, a folder we may not write, a read-only file system): permanent.

Why a module of its own: another try cannot cure them, yet they look like transient ones to a retry policy
(pyarrow raises a bare OSError, GDAL an "IO error writing tag data" with no errno at all). Retried month by
month, a full disk once cost 20 minutes and ended in a message without "No space left on device". So they
are recognised here (GDAL's write errors are translated where they are written, geo/write_errors.py), and a
`LocalFault` says the OS reason and the path in its first line.
"""

from __future__ import annotations

import errno
import os

#: errno -> the OS's wording: none of these goes away by itself within a run.
PERMANENT_ERRNOS = {
    errno.ENOSPC: "No space left on device",
    errno.EDQUOT: "Disk quota exceeded",
    errno.EACCES: "Permission denied",
    errno.EPERM: "Operation not permitted",
    errno.EROFS: "Read-only file system",
}


class LocalFault(OSError):
    """A permanent local fault: the OS reason, then the path, in the first line of the message."""

    def __init__(self, code: int, path: str | os.PathLike, detail: str = ""):
        super().__init__(code, PERMANENT_ERRNOS.get(code, os.strerror(code)), str(path))
        self.detail = detail

    def __str__(self) -> str:
        text = f"{self.strerror}: {self.filename}"
        return f"{text} ({self.detail})" if self.detail else text


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def local_fault(exc: BaseException) -> OSError | None:
    """The permanent local fault behind `exc` (itself or an exception it was raised from), or None. An OSError
    counts by its errno; one without (pyarrow folds it into the message) by the OS's wording."""
    for e in _chain(exc):
        if isinstance(e, OSError):
            if e.errno in PERMANENT_ERRNOS:
                return e
            if e.errno is None and any(words in str(e) for words in PERMANENT_ERRNOS.values()):
                return e
    return None


def fault_code(fault: OSError) -> int:
    """The errno of a fault `local_fault` found, read from its wording when the OSError carries none."""
    if fault.errno in PERMANENT_ERRNOS:
        return fault.errno
    return next((code for code, words in PERMANENT_ERRNOS.items() if words in str(fault)), errno.EIO)


def with_path(fault: OSError, path: str | os.PathLike) -> LocalFault:
    """`fault` as a LocalFault naming `path` (pyarrow's says "Error writing bytes to file" and no file)."""
    if isinstance(fault, LocalFault):
        return fault
    return LocalFault(fault_code(fault), fault.filename or path, "" if fault.filename else str(fault))
