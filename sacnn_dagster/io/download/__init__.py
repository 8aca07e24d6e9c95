"""Downloads a person can trust: every remote input file goes through `Downloader.fetch`.

Why so careful: EOG answers an expired token with HTTP 200 and a login page, connections to remote
archives get cut in the middle of multi-GB files, and a half-written or truncated composite read later
gives silently wrong night lights. So a download is

- streamed into `{cache}/partial/...part` and resumed with an HTTP Range request after a cut (transfer.py);
- retried with exponential backoff on timeouts, cut connections and HTTP 5xx (never on other 4xx), and on
  HTTP 401/403 or an HTML page re-authenticated once (`refresh_auth`), then refused with an
  `AuthenticationError` naming the environment variables to set (retry.py; the errors in errors.py);
- verified (length, gzip stream to its end, tar listing, opens as a raster / HDF5) before it is renamed
  to its final name under `{cache}/http/`, so nothing half-written or wrong is ever visible there (verify.py);
- limited in concurrency (a slot semaphore shared by all Downloaders of the process on the same cache,
  and a file lock per file so two processes never download the same file at once: lock.py);
- kept in a cache shared across runs and bounded by `CacheSettings.max_bytes`: least recently used
  files go first (a cache hit touches the file's times: io/cache.py).

Secrets never reach an exception or a log line: headers carry them, URLs never do, and every message is
scrubbed with `redact`. `Downloader` (downloader.py) puts the steps together.
"""

from sacnn_dagster.io.cache import evict
from sacnn_dagster.io.download.downloader import Downloader
from sacnn_dagster.io.download.errors import (
    AuthenticationError,
    DownloadError,
    RemoteFileNotFound,
    RetriesExhausted,
    TransientError,
)
from sacnn_dagster.io.download.names import KINDS, cache_key, display_url, kind_for_name
from sacnn_dagster.io.download.verify import is_login_page

__all__ = [
    "KINDS",
    "AuthenticationError",
    "DownloadError",
    "Downloader",
    "RemoteFileNotFound",
    "RetriesExhausted",
    "TransientError",
    "cache_key",
    "display_url",
    "evict",
    "is_login_page",
    "kind_for_name",
]
