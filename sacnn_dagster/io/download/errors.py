"""What can go wrong with a download, as exception types a caller can tell apart."""

from __future__ import annotations


class DownloadError(RuntimeError):
    """A remote file could not be had; the message names the URL (without secrets) and what was wrong."""


class AuthenticationError(DownloadError):
    """The server refused the credentials (or asked for some); the message names the variables to set."""


class TransientError(DownloadError):
    """A failure worth another try (timeout, cut connection, HTTP 5xx); `Downloader` retries these."""


class RetriesExhausted(DownloadError):
    """Transient failures went on through every retry (a server down for a while): a later try may succeed."""


class RemoteFileNotFound(DownloadError, FileNotFoundError):
    """HTTP 404: also a FileNotFoundError, so callers treat a missing remote file like a missing local one."""


class Refused(Exception):
    """HTTP 401/403 or a login page: the credentials are renewed once, then `AuthenticationError` is raised.
    Never leaves the download package."""
