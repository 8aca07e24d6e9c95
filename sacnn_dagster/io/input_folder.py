"""A read-only folder of input files wherever it lives: a local folder, an S3 prefix, or an HTTP index.
POI snapshots, statistics and EOG-named composites are found by listing one and fetched file by file."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from pathlib import Path


class InputFolder(ABC):
    """Files below one location, addressed by their path relative to it (posix separators)."""

    @property
    @abstractmethod
    def location(self) -> str:
        """Where it is, for messages and metadata (never with a secret in it)."""

    @abstractmethod
    def list_files(self) -> list[str]:
        """Every file below the location, recursively, as sorted relative paths."""

    @abstractmethod
    def local_path(self, relative: str) -> Path:
        """A local file with the content of `relative`: the file itself when local, otherwise a verified
        copy in the download cache (fetched once, reused while the remote file is unchanged)."""

    def version(self, relative: str) -> str | None:
        """Something that changes when the file changes (size and mtime, an ETag), if the store says."""
        return None


class LocalFolder(InputFolder):
    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    @property
    def location(self) -> str:
        return str(self.folder)

    def list_files(self) -> list[str]:
        if not self.folder.is_dir():
            raise FileNotFoundError(f"folder {self.folder} does not exist")
        out = []
        for dirpath, _dirs, names in os.walk(self.folder):
            for name in names:
                out.append((Path(dirpath) / name).relative_to(self.folder).as_posix())
        return sorted(out)

    def local_path(self, relative: str) -> Path:
        path = self.folder / relative
        if not path.is_file():
            raise FileNotFoundError(f"{path} does not exist")
        return path

    def version(self, relative: str) -> str | None:
        st = (self.folder / relative).stat()
        return f"{st.st_size}:{st.st_mtime_ns}"


def is_remote(location: str) -> bool:
    return location.startswith(("s3://", "http://", "https://"))
