"""Outputs in a local folder: the local variant of `OutputStorage`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sacnn_dagster.defs.resources.storage import MISSING_HINT, OutputStorage
from sacnn_dagster.io.atomic import atomic_path


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

    def remove(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def list_keys(self, prefix: str) -> list[str]:
        base = Path(self.root).resolve()
        folder = base / prefix
        if not folder.is_dir():
            return []
        return sorted(
            p.relative_to(base).as_posix() for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")
        )
