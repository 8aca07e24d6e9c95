"""Which failures are worth another try later: a server or a store having a bad moment, not bad input.

The monthly assets' retry policy re-runs a step only for these; a month whose input is broken fails at once,
so a retry never spends minutes reading the same bad file again.
"""

from __future__ import annotations

from sacnn_dagster.io.download.errors import RetriesExhausted, TransientError


def is_transient(exc: BaseException) -> bool:
    """True for a download that kept failing through the downloader's own retries (or a transient answer
    outside them), a connection or timeout error, and a plain OSError: what the output storage raises when
    S3 answers with an error that is neither "not found" nor "denied". False for everything else: bad
    input, a missing file, refused credentials, a bug."""
    if isinstance(exc, (RetriesExhausted, TransientError, ConnectionError, TimeoutError)):
        return True
    # Exactly OSError: its subclasses say something about the input itself (FileNotFoundError,
    # PermissionError, IsADirectoryError, ...) or are other libraries' errors, such as rasterio's
    # RasterioIOError for a file GDAL cannot read: the same answer comes back on every try.
    return type(exc) is OSError
