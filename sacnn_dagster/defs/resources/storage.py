"""Output storage: where every asset's files go (the outputs contract, io/layout.py), as one Dagster resource
interface with a local and an S3 variant (local_storage.py, s3_storage.py; storage_for_root.py picks one).
Assets read and write only through it, so a local folder and an S3 prefix hold the same keys and the same
bytes."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import dagster as dg

MISSING_HINT = "materialize its asset for this month first"
#: The file `put_folder` writes last into a folder of files (a model version): its manifest. A folder without
#: it is incomplete (a run was killed while writing it): never read, rebuilt by its asset.
COMPLETE_FILE = "COMPLETE.json"


class IncompleteFolderError(FileNotFoundError):
    """A folder of files is missing or was left incomplete by an interrupted run."""


class OutputStorage(dg.ConfigurableResource, ABC):
    """Where every asset's files go, one folder per asset, one file per month (`asset/YYYY-MM.ext`).
    Each kind of store implements these six methods; a folder of files (a model version) is committed by a
    manifest written last (`put_folder`), the same on a local disk and on S3."""

    root: str

    def under(self, folder: str) -> OutputStorage:
        """The same storage rooted at `<root>/<folder>` (a catalogue's region under the catalogue's root)."""
        return self.model_copy(update={"root": f"{self.root.rstrip('/')}/{folder}"})

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

    @abstractmethod
    def remove(self, key: str) -> None:
        """Delete the object stored under `key`, if any."""

    def put_folder(self, local: Path, prefix: str) -> None:
        """Store every file of a local folder under `prefix/`, then its manifest (`COMPLETE_FILE`) last: the
        folder counts as stored only once that is there (see `folder_manifest`). Files under `prefix/` that the
        manifest does not name (left by a build killed earlier) are removed after it; none is removed before,
        so a second run building the same folder at the same time (same files, same bytes) loses nothing."""
        manifest = {}
        for path in sorted(p for p in local.rglob("*") if p.is_file()):
            rel = path.relative_to(local).as_posix()
            manifest[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            with self.writing(f"{prefix}/{rel}") as tmp:
                shutil.copyfile(path, tmp)
        with self.writing(f"{prefix}/{COMPLETE_FILE}") as tmp:
            tmp.write_text(json.dumps({"files": manifest}, indent=1, sort_keys=True))
        for key in self.list_keys(prefix):
            if key[len(prefix) + 1 :] not in manifest and not key.endswith(f"/{COMPLETE_FILE}"):
                self.remove(key)

    def folder_manifest(self, prefix: str) -> dict[str, str] | None:
        """{relative path: sha256} of a folder stored by `put_folder`; None while it is missing or incomplete
        (no manifest yet: being written, or its writer was killed)."""
        key = f"{prefix}/{COMPLETE_FILE}"
        if not self.exists(key):
            return None
        with self.reading(key) as path:
            return json.loads(path.read_text())["files"]

    def require_complete(self, prefix: str) -> dict[str, str]:
        """The folder's manifest, or an error saying it is missing or incomplete."""
        manifest = self.folder_manifest(prefix)
        if manifest is None:
            state = "is incomplete (its writer stopped before the end)" if self.list_keys(prefix) else "does not exist"
            raise IncompleteFolderError(f"{self.uri(prefix)} {state}: {MISSING_HINT}")
        return manifest

    @contextmanager
    def fetched_folder(self, prefix: str) -> Iterator[Path]:
        """A local folder holding a copy of the complete folder stored under `prefix/`: the files its manifest
        names, each checked against its digest."""
        manifest = self.require_complete(prefix)
        with tempfile.TemporaryDirectory() as tmp:
            for rel, digest in manifest.items():
                target = Path(tmp) / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                with self.reading(f"{prefix}/{rel}") as path:
                    shutil.copyfile(path, target)
                if hashlib.sha256(target.read_bytes()).hexdigest() != digest:
                    raise IncompleteFolderError(
                        f"{self.uri(f'{prefix}/{rel}')} differs from the digest in {COMPLETE_FILE}: "
                        "the folder was changed after it was stored; materialize its asset again"
                    )
            yield Path(tmp)
