"""A catalogue of regions on S3 (`--regions s3://bucket/prefix`, `SACNN_REGIONS=s3://...`): mirrored into a local
folder under the cache, which `load_catalogue` then reads like any catalogue folder (region folders hold relative
paths to their input files, so they are read from a local copy as a whole, not file by file).

The mirror is kept in step with the bucket on every call: an object already mirrored with the same size and ETag
(the last-modified time where the store gives no ETag) is not fetched again, a changed one is, and a file or a
whole region folder deleted on S3 is deleted from the mirror. Each file is written under a temporary name and
renamed into place (io/atomic.py), and what was mirrored is recorded only after the rename, so a sync cut short
leaves whole files only and the next call finishes it. Two processes syncing one mirror take turns (a file
lock beside it). Endpoint and keys come from the environment, as for an s3:// output root."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

import s3fs
from filelock import FileLock, Timeout

from sacnn_dagster.config.catalogue import Catalogue, load_catalogue
from sacnn_dagster.io.atomic import atomic_path
from sacnn_dagster.io.cache import MIRRORS_FOLDER, default_cache_folder, hit
from sacnn_dagster.io.credentials import ENV_VARS, Credentials
from sacnn_dagster.io.s3_folder import endpoint_url_from_environment, s3_errors, s3_filesystem, s3_key, split_s3_url

log = logging.getLogger(__name__)

#: How long a sync waits for another process syncing the same mirror before giving up.
LOCK_TIMEOUT_S = 15 * 60
#: Files fetched per batch (concurrently, by s3fs); what was mirrored is recorded after each batch, so a
#: sync cut short keeps the batches before.
BATCH = 64


@dataclass(frozen=True)
class _Object:
    size: int
    #: `etag:<ETag>`, or `mtime:<last modified>` where the store gives no ETag.
    version: str
    modified: datetime | None = None


@dataclass
class SyncReport:
    """What one sync did: the mirror folder, the files fetched and the files deleted (relative paths)."""

    url: str
    folder: Path
    downloaded: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: int = 0


def credentials_from_environment() -> Credentials:
    """The secrets set in the environment (the variables of io/credentials.py), as the code location reads them."""
    return Credentials(**{name: os.environ.get(var) or None for name, var in ENV_VARS.items()})


def _canonical(url: str) -> str:
    bucket, prefix = split_s3_url(url)
    return f"s3://{bucket}/{prefix}".rstrip("/")


def mirror_folder(url: str, endpoint_url: str | None = None, cache_folder: Path | None = None) -> Path:
    """Where the catalogue at `url` is mirrored: `<cache>/catalogues/<bucket-prefix>-<digest>`, readable, with a
    digest of the URL and endpoint (one bucket on two endpoints is two catalogues; two URLs that read alike
    once slugged stay apart)."""
    url = _canonical(url)
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", url[len("s3://") :]).strip("-.")[:60]
    digest = hashlib.sha256(f"{endpoint_url or 'aws'} {url}".encode()).hexdigest()[:10]
    return (cache_folder or default_cache_folder()) / MIRRORS_FOLDER / f"{readable}-{digest}"


def sync_catalogue(
    url: str,
    credentials: Credentials | None = None,
    endpoint_url: str | None = None,
    cache_folder: Path | None = None,
    lock_timeout_s: float = LOCK_TIMEOUT_S,
) -> SyncReport:
    """Bring the mirror of `url` in step with the bucket (see the module's docstring) and say what changed.
    `credentials` and `endpoint_url` default to the environment's. Errors name the URL, never a secret."""
    url = _canonical(url)
    credentials = credentials if credentials is not None else credentials_from_environment()
    endpoint_url = endpoint_url or endpoint_url_from_environment()
    folder = mirror_folder(url, endpoint_url, cache_folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    lock = folder.with_name(f"{folder.name}.lock")
    try:
        with FileLock(lock, timeout=lock_timeout_s):
            hit(lock)  # recently used: the cache's eviction takes the least recently used files first
            return _sync(url, folder, credentials, endpoint_url)
    except Timeout:
        raise TimeoutError(
            f"{url}: another process has been updating its mirror {folder} for over {lock_timeout_s:.0f} s "
            f"(remove {lock} only if no sacnn-dagster process runs)"
        ) from None


def catalogue_folder(root: str | os.PathLike) -> Path:
    """The local folder to read the catalogue `root` from: `root` itself, or for `s3://bucket/prefix` its mirror,
    synced first."""
    text = _as_named(root)
    if text.startswith("s3://"):
        return sync_catalogue(text).folder
    return Path(text)


def open_catalogue(root: str | os.PathLike, only: list[str] | None = None) -> Catalogue:
    """`load_catalogue` of a local folder or an s3:// catalogue; messages name `root` as given, not the mirror."""
    return load_catalogue(catalogue_folder(root), only, source=_as_named(root))


def _as_named(root: str | os.PathLike) -> str:
    text = os.fspath(root)
    if text.startswith("s3:/") and not text.startswith("s3://"):
        return "s3://" + text[len("s3:/") :]  # a URL that went through Path() lost a slash
    return text


def _sync(url: str, folder: Path, credentials: Credentials, endpoint_url: str | None) -> SyncReport:
    report = SyncReport(url, folder)
    try:
        fs = s3_filesystem(credentials, endpoint_url)
    except ValueError as error:  # half a key pair: say which catalogue needed it
        raise ValueError(f"{url}: {error}") from None
    remote = _listing(fs, url, credentials)
    state_file = folder.with_name(f"{folder.name}.json")
    state = {rel: entry for rel, entry in _read_state(state_file).items() if rel in remote}
    # Whatever is not on S3 goes first: deleted objects and regions, and the temporary files of a sync cut
    # short; then a name that changed from file to folder (or back) is free for the new object.
    folder.mkdir(exist_ok=True)
    for path in sorted(p for p in folder.rglob("*") if not p.is_dir()):
        relative = path.relative_to(folder).as_posix()
        if relative not in remote:
            path.unlink()
            state.pop(relative, None)
            if not _is_temporary(path):
                report.removed.append(relative)
    _remove_empty_folders(folder)
    fetch = [rel for rel, obj in remote.items() if not _current(folder / rel, state.get(rel), obj)]
    report.kept = len(remote) - len(fetch)
    bucket, prefix = split_s3_url(url)
    for start in range(0, len(fetch), BATCH):
        batch = fetch[start : start + BATCH]
        with ExitStack() as renames:  # each file renamed into place on leaving, every one removed on an error
            temporary = [renames.enter_context(atomic_path(folder / rel)) for rel in batch]
            with s3_errors(url, credentials):
                fs.get([s3_key(bucket, prefix, rel) for rel in batch], [str(t) for t in temporary])
            for rel, tmp in zip(batch, temporary):
                _check_and_date(f"{url}/{rel}", tmp, remote[rel])
        for rel in batch:
            state[rel] = {"size": remote[rel].size, "version": remote[rel].version}
        _write_state(state_file, url, state)
        report.downloaded += batch
    if report.removed:
        _write_state(state_file, url, state)
    hit(state_file)
    if report.downloaded or report.removed:
        log.info(
            "catalogue %s: %d file(s) fetched, %d deleted, %d unchanged in %s",
            url,
            len(report.downloaded),
            len(report.removed),
            report.kept,
            folder,
        )
    return report


def _listing(fs: s3fs.S3FileSystem, url: str, credentials: Credentials) -> dict[str, _Object]:
    """Every object below `url` by relative path, with its size and version, from one listing."""
    base = s3_key(*split_s3_url(url))
    with s3_errors(url, credentials):
        found = fs.find(base, detail=True)
    remote = {}
    for path, info in found.items():
        relative = path[len(base) + 1 :]
        if not relative or info.get("type") == "directory" or path.endswith("/"):
            continue  # the prefix itself, or a folder marker a console left
        # `a//b`, `./a`, `/a` would be mirrored under another name (and deleted again on every sync), `..` outside
        if str(PurePosixPath(relative)) != relative or relative.startswith("/") or ".." in relative.split("/"):
            log.warning("catalogue %s: object %r skipped: no file name on disk matches it", url, relative)
            continue
        modified = info.get("LastModified")
        etag = str(info.get("ETag") or "").strip('"')
        version = f"etag:{etag}" if etag else f"mtime:{modified}"
        remote[relative] = _Object(int(info["size"]), version, modified if isinstance(modified, datetime) else None)
    if not remote:
        raise FileNotFoundError(f"{url}: nothing stored under this prefix (a catalogue holds region folders)")
    return remote


def _current(path: Path, recorded: dict | None, obj: _Object) -> bool:
    """Whether the mirrored file is the object's current version: recorded so, and still there whole (the
    cache's eviction or a person may have deleted it since)."""
    if recorded != {"size": obj.size, "version": obj.version}:
        return False
    try:
        return path.stat().st_size == obj.size
    except (FileNotFoundError, NotADirectoryError):
        return False


def _check_and_date(url: str, tmp: Path, obj: _Object) -> None:
    """A fetched file is used only whole. It takes the object's modification time: the region's local input
    folder versions files by size and mtime, so an object fetched again unchanged keeps its data version."""
    size = tmp.stat().st_size
    if size != obj.size:
        raise OSError(f"{url}: fetched {size} bytes, expected {obj.size}: run again to fetch it whole")
    if obj.modified is not None:
        moment = obj.modified.timestamp()
        os.utime(tmp, (moment, moment))


def _is_temporary(path: Path) -> bool:
    return path.name.startswith(".") and ".tmp-" in path.name


def _remove_empty_folders(folder: Path) -> None:
    for path in sorted((p for p in folder.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if not any(path.iterdir()):
            path.rmdir()


def _read_state(path: Path) -> dict[str, dict]:
    """What earlier syncs mirrored; nothing when the record is missing or unreadable (everything is then
    fetched again, which is slow but right)."""
    try:
        return dict(json.loads(path.read_text())["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _write_state(path: Path, url: str, state: dict[str, dict]) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps({"url": url, "files": state}, indent=1, sort_keys=True))
