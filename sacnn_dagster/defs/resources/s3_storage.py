"""Outputs under an S3 prefix: the remote variant of `OutputStorage`."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

import s3fs
from pydantic import PrivateAttr

from sacnn_dagster.defs.resources.credentials import CredentialsResource
from sacnn_dagster.defs.resources.storage import MISSING_HINT, OutputStorage
from sacnn_dagster.io.s3_folder import find_relative, s3_errors, s3_filesystem, s3_key, split_s3_url


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

    def remove(self, key: str) -> None:
        with self._errors(key):
            if self.fs.isfile(self._key(key)):
                self.fs.rm_file(self._key(key))

    def list_keys(self, prefix: str) -> list[str]:
        with self._errors(prefix):
            return [f"{prefix}/{rel}" for rel in find_relative(self.fs, self._key(prefix))]
