"""Output storage: where every asset's files go (the outputs contract, io/layout.py), as a
Dagster resource. Assets read and write only through it, so a local folder and an S3 prefix hold the same
keys and the same bytes."""

from __future__ import annotations

import os
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path, PurePosixPath

import dagster as dg
import s3fs
from pydantic import PrivateAttr

from sacnn_dagster.defs.resources import CredentialsResource
from sacnn_dagster.io.atomic import atomic_path
from sacnn_dagster.io.s3_folder import find_relative, s3_errors, s3_filesystem, s3_key, split_s3_url

#: Environment variables naming the S3-compatible endpoint (MinIO, moto, ...) of an s3:// output root, in
#: order of precedence; neither set means AWS itself.
ENDPOINT_ENV_VARS = ("SACNN_S3_ENDPOINT_URL", "AWS_ENDPOINT_URL")

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


class LocalOutputStorage(OutputStorage):
    """Outputs in a local folder; writes are atomic (temporary file, then rename)."""

    def _path(self, key: str) -> Path:
        return Path(self.root).resolve() / key

    def uri(self, key: str) -> str:
        return str(self._path(key))

    @contextmanager
    def writing(self, key: str) -> Iterator[Path]:
        with atomic_path(self._path(key)) as tmp:
            yield tmp

    @contextmanager
    def reading(self, key: str) -> Iterator[Path]:
        path = self._path(key)
        if not path.is_file():
            raise FileNotFoundError(f"{path} does not exist: {MISSING_HINT}")
        yield path

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list_keys(self, prefix: str) -> list[str]:
        base = Path(self.root).resolve()
        folder = base / prefix
        if not folder.is_dir():
            return []
        return sorted(
            p.relative_to(base).as_posix() for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")
        )


class S3OutputStorage(OutputStorage):
    """Outputs under `s3://bucket/prefix` (`root`), on AWS or the S3-compatible store at `endpoint_url`.
    A write is one PUT of a finished local file: S3 shows an object only once it is complete, so a failed
    or interrupted write leaves nothing (or the previous version) under the key. Signs with the AWS keys of
    `credentials` (EnvVars), or with botocore's default chain when none are set."""

    credentials: CredentialsResource
    endpoint_url: str | None = None
    _fs: s3fs.S3FileSystem | None = PrivateAttr(default=None)

    @property
    def fs(self) -> s3fs.S3FileSystem:
        if self._fs is None:
            self._fs = s3_filesystem(self.credentials.credentials(), self.endpoint_url)
        return self._fs

    def _key(self, key: str) -> str:
        return s3_key(*split_s3_url(self.root), key)

    def uri(self, key: str) -> str:
        return f"s3://{self._key(key)}"

    @contextmanager
    def _errors(self, key: str) -> Iterator[None]:
        with s3_errors(self.uri(key), self.credentials.credentials()):
            yield

    @contextmanager
    def writing(self, key: str) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix="sacnn-put-") as tmp:
            path = Path(tmp) / PurePosixPath(key).name
            yield path
            with self._errors(key):
                self.fs.put_file(str(path), self._key(key))

    @contextmanager
    def reading(self, key: str) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix="sacnn-get-") as tmp:
            path = Path(tmp) / PurePosixPath(key).name
            try:
                with self._errors(key):
                    self.fs.get_file(self._key(key), str(path))
            except FileNotFoundError:
                raise FileNotFoundError(f"{self.uri(key)} does not exist: {MISSING_HINT}") from None
            yield path

    def exists(self, key: str) -> bool:
        with self._errors(key):
            return self.fs.isfile(self._key(key))

    def list_keys(self, prefix: str) -> list[str]:
        with self._errors(prefix):
            return [f"{prefix}/{rel}" for rel in find_relative(self.fs, self._key(prefix))]


def endpoint_url_from_environment() -> str | None:
    """The S3 endpoint for outputs: the first of `ENDPOINT_ENV_VARS` that is set."""
    return next((os.environ[v] for v in ENDPOINT_ENV_VARS if os.environ.get(v)), None)


def output_storage(
    root: str, credentials_resource: CredentialsResource, endpoint_url: str | None = None
) -> OutputStorage:
    """The storage for `root`: `s3://bucket/prefix` on S3 (at `endpoint_url`), anything else a local folder."""
    if root.startswith("s3://"):
        split_s3_url(root)  # a malformed URL fails when the definitions load, not in the first run
        return S3OutputStorage(root=root.rstrip("/"), credentials=credentials_resource, endpoint_url=endpoint_url)
    return LocalOutputStorage(root=str(Path(root).resolve()))
