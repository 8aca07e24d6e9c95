"""Which failures are worth another try later: a server or a store having a bad moment, not bad input and
not a fault of this machine.

The monthly assets' retry policy re-runs a step only for these; a month whose input is broken fails at once,
so a retry never spends minutes reading the same bad file again, and a full disk, a folder we may not write or
a read-only file system (io/local_faults.py) stops the step at once: another try would fail the same way.
"""

from __future__ import annotations

from sacnn_dagster.io.download.errors import RetriesExhausted, TransientError
from sacnn_dagster.io.local_faults import local_fault


def is_transient(exc: BaseException) -> bool:
    """True for a download that kept failing through the downloader's own retries (or a transient answer
    outside them), a connection or timeout error, and a plain OSError: what the output storage raises when
    S3 answers with an error that is neither "not found" nor "denied". False for everything else: bad
    input, a missing file, refused credentials, a permanent local fault (no space, permission denied,
    read-only file system: pyarrow raises those as plain OSErrors too), a bug."""
    if local_fault(exc) is not None:
        return False
    if isinstance(exc, (RetriesExhausted, TransientError, ConnectionError, TimeoutError)):
        return True
    # Exactly OSError: its subclasses say something about the input itself (FileNotFoundError,
    # PermissionError, IsADirectoryError, ...) or are other libraries' errors, such as rasterio's
    # RasterioIOError for a file GDAL cannot read: the same answer comes back on every try.
    return type(exc) is OSError
