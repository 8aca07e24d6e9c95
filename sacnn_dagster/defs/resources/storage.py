"""Output storage: where every asset's files go (the outputs contract, io/layout.py), as one Dagster resource
interface with a local and an S3 variant (local_storage.py, s3_storage.py; storage_for_root.py picks one).
Assets read and write only through it, so a local folder and an S3 prefix hold the same keys and the same
bytes."""

from __future__ import annotations

import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import dagster as dg

MISSING_HINT = "materialize its asset for this month first"


class OutputStorage(dg.ConfigurableResource, ABC):
    """Where every asset's files go, one folder per asset, one file per month (`asset/YYYY-MM.ext`).
    Each kind of store implements these five methods."""

    root: str

    @abstractmethod
    def uri(self, key: str) -> str:
        """Where the object lives, for metadata and logs."""

    @abstractmethod
    def writing(self, key: str) -> AbstractContextManager[Path]:
        """A local path to write; it becomes visible under `key` only when the block succeeds."""

    @abstractmethod
    def reading(self, key: str) -> AbstractContextManager[Path]:
        """A local path holding the object stored under `key`."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        """Whether an object is stored under `key`."""

    @abstractmethod
    def list_keys(self, prefix: str) -> list[str]:
        """Keys stored under `prefix/`, sorted."""

    def put_folder(self, local: Path, prefix: str) -> None:
        """Store every file of a local folder under `prefix/`, each write atomic."""
        for path in sorted(p for p in local.rglob("*") if p.is_file()):
            with self.writing(f"{prefix}/{path.relative_to(local).as_posix()}") as tmp:
                shutil.copyfile(path, tmp)

    @contextmanager
    def fetched_folder(self, prefix: str) -> Iterator[Path]:
        """A local folder holding a copy of everything stored under `prefix/`."""
        keys = self.list_keys(prefix)
        if not keys:
            raise FileNotFoundError(f"nothing stored under {self.uri(prefix)}")
        with tempfile.TemporaryDirectory() as tmp:
            for key in keys:
                target = Path(tmp) / key[len(prefix) + 1 :]
                target.parent.mkdir(parents=True, exist_ok=True)
                with self.reading(key) as path:
                    shutil.copyfile(path, target)
            yield Path(tmp)
