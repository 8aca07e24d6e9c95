"""An input folder served over HTTP(S) as directory index pages (e.g. POI snapshots `YYYY-MM.csv` on a
plain web server). Listed by walking the index pages; files fetched through the verified download cache."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from sacnn_dagster.io.cache import CacheSettings
from sacnn_dagster.io.credentials import Credentials
from sacnn_dagster.io.download import Downloader, display_url, kind_for_name
from sacnn_dagster.io.http_listing import parse_index
from sacnn_dagster.io.input_folder import InputFolder


class HttpFolder(InputFolder):
    """The files below an index page URL, read anonymously (the credentials only scrub messages: no
    documented variable holds a secret for an arbitrary web server). `download_options` go to the
    `Downloader` (retries, timeouts, log)."""

    def __init__(
        self,
        location: str,
        credentials: Credentials | None = None,
        cache: CacheSettings | None = None,
        **download_options,
    ):
        self.url = location.rstrip("/") + "/"
        self.downloader = Downloader(cache, secrets=credentials, **download_options)

    @property
    def location(self) -> str:
        return display_url(self.url.rstrip("/"))

    def list_files(self) -> list[str]:
        """Every file below the folder; a missing folder raises FileNotFoundError (HTTP 404)."""
        found = []
        pending = [""]
        while pending:
            folder = pending.pop()
            page = self.url + quote(folder)
            for entry in parse_index(self.downloader.get_text(page), page):
                relative = f"{folder}{entry.name}"
                if entry.is_dir:
                    pending.append(relative + "/")
                else:
                    found.append(relative)
        return sorted(found)

    def version(self, relative: str) -> str | None:
        return self.downloader.remote_version(self.url + quote(relative))

    def local_path(self, relative: str) -> Path:
        """A verified cached copy of the file's current version (a file updated under the same name, like
        a statistics table, is fetched again); a 404 raises FileNotFoundError."""
        return self.downloader.fetch(
            self.url + quote(relative), kind=kind_for_name(relative), version=self.version(relative)
        )
