"""A full disk, a read-only or unwritable folder: permanent local faults, never retried, told in the OS's words
with the path, in seconds. As root (CI) on a small tmpfs; otherwise the write error is injected."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import rasterio
import rasterio.errors

from sacnn_dagster.geo.cog import write_cog
from sacnn_dagster.geo.grid import Grid
from sacnn_dagster.geo.write_errors import diagnose_write_error
from sacnn_dagster.io.download.errors import RetriesExhausted
from sacnn_dagster.io.local_faults import LocalFault, local_fault, with_path
from sacnn_dagster.io.transient import is_transient

GRID = Grid.from_transform(rasterio.transform.from_origin(121.0, 31.0, 0.004, 0.004), 300, 300)
BANDS = [np.random.default_rng(0).random((300, 300)).astype(np.float32)] * 2
AS_ROOT = os.geteuid() == 0 and shutil.which("mount") is not None


@contextlib.contextmanager
def full_folder(tmp_path: Path, monkeypatch) -> Path:
    """A folder with (next to) no space left: a 64 KiB tmpfs as root, else a folder whose writes GDAL fails and
    whose file system reports no free space (os.statvfs patched)."""
    folder = tmp_path / "full"
    folder.mkdir()
    if AS_ROOT and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)]).returncode == 0:
        try:
            yield folder
        finally:
            subprocess.run(["umount", "-l", str(folder)], check=False)
        return
    real = os.statvfs

    def no_space(path):
        st = real(path)
        return os.statvfs_result((*st[:4], 0, *st[5:]))

    def gdal_fails(*_a, **_k):
        raise rasterio.errors.RasterioIOError("TIFFWriteDirectoryTagData:IO error writing tag data")

    monkeypatch.setattr(os, "statvfs", no_space)
    monkeypatch.setattr("sacnn_dagster.geo.cog._write", gdal_fails)
    yield folder


def test_full_disk_raster_write_says_no_space_and_the_path(tmp_path, monkeypatch):
    with full_folder(tmp_path, monkeypatch) as folder:
        target = folder / "ntl_composite" / "2020-03.tif"
        target.parent.mkdir()
        started = time.perf_counter()
        with pytest.raises(OSError) as caught:
            write_cog(target, BANDS, GRID, ["a", "b"])
        assert time.perf_counter() - started < 10
    first_line = str(caught.value).splitlines()[0]
    assert caught.value.errno == errno.ENOSPC
    assert "No space left on device" in first_line and str(target) in first_line
    assert not is_transient(caught.value)


def test_write_errors_the_file_system_explains(tmp_path, monkeypatch):
    gdal = rasterio.errors.RasterioIOError("write failed")
    assert diagnose_write_error(tmp_path / "x.tif", gdal) is None  # plenty of space, writable: GDAL's own error
    real = os.statvfs
    monkeypatch.setattr(os, "statvfs", lambda p: os.statvfs_result((*real(p)[:8], os.ST_RDONLY, *real(p)[9:])))
    fault = diagnose_write_error(tmp_path / "x.tif", gdal)
    assert fault.errno == errno.EROFS and "Read-only file system" in str(fault) and str(tmp_path) in str(fault)
    monkeypatch.setattr(os, "statvfs", real)
    monkeypatch.setattr(os, "access", lambda *_a: False)
    fault = diagnose_write_error(tmp_path / "sub" / "x.tif", gdal)
    assert fault.errno == errno.EACCES and "Permission denied" in str(fault)


@pytest.mark.parametrize(
    "exc, transient",
    [
        (OSError(errno.ENOSPC, "No space left on device"), False),
        (OSError("Error writing bytes to file. Detail: [errno 28] No space left on device"), False),
        (PermissionError(errno.EACCES, "Permission denied", "/out/x.tif"), False),
        (OSError(errno.EROFS, "Read-only file system", "/out/x.tif"), False),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), False),
        (OSError("S3 answered 503 SlowDown"), True),  # the output storage's transient S3 errors stay retried
        (RetriesExhausted("https://x: gave up after 4 attempts"), True),
        (TimeoutError("read timed out"), True),
        (ValueError("2020-03: broken composite"), False),
    ],
)
def test_only_transient_faults_are_retried(exc, transient):
    assert is_transient(exc) is transient


def test_a_local_fault_behind_another_error_is_found_and_named():
    try:
        try:
            raise OSError(errno.ENOSPC, "Error writing bytes to file. Detail: [errno 28] No space left on device")
        except OSError as inner:
            raise RuntimeError("writing the parquet failed") from inner
    except RuntimeError as outer:
        fault = local_fault(outer)
    named = with_path(fault, "/out/factories/2020-03.parquet")
    assert isinstance(named, LocalFault) and named.errno == errno.ENOSPC
    assert str(named).startswith("No space left on device: /out/factories/2020-03.parquet")


def test_full_disk_fails_the_run_at_once_without_retries(small_demo_region, instance, tmp_path, monkeypatch):
    """The small demo's features over three months into a full storage: fails in seconds (it took 20 minutes
    of retries), and every failure says "No space left on device"; the raster's names the path."""
    from sacnn_dagster.cli.run import run_region

    with full_folder(tmp_path, monkeypatch) as folder:
        storage = folder / "out"
        started = time.perf_counter()
        report = run_region(small_demo_region, "2020-01", "2020-03", str(storage), instance=instance, echo=print)
        took = time.perf_counter() - started
    assert not report.ok and not report.months_materialized
    assert took < 60, took
    assert all("No space left on device" in f for f in report.failures), report.failures
    assert all(f"{storage}/" in f for f in report.failures), report.failures  # the file that could not be written
    assert not any("max_retries" in f or "RetryRequested" in f for f in report.failures)
    # told once: no month-by-month redo of a stretch that cannot be written, no later stage tried
    assert len(report.failures) == 1 and report.local_fault == report.failures[0]


def test_an_unwritable_storage_root_is_an_error_line_not_a_traceback(small_demo_region, tmp_path, capsys):
    from sacnn_dagster.cli.main import main

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    status = main(["run", "--region", str(small_demo_region), "--storage", str(blocker / "out")])
    err = capsys.readouterr().err
    assert status == 1
    assert err.startswith("error: ") and str(blocker) in err and "Traceback" not in err
