"""Atomic file writes: write to a hidden temporary file beside the target, then rename over it, so that a
reader never sees a half-written file under its final name.

Kept by hand: `tempfile` would create the temporary file itself, readable by its owner only (the rename keeps
that mode), whereas the writers (GDAL, pyarrow) create the file themselves and choose its format by the
extension kept here; the `atomicwrites` package is no longer maintained and writes through a Python file object."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sacnn_dagster.io.local_faults import local_fault, with_path


@contextmanager
def atomic_path(final: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces `final`, on error it is removed."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.tmp-{uuid.uuid4().hex[:12]}{''.join(final.suffixes[-1:])}")
    try:
        yield tmp
        os.replace(tmp, final)
    except OSError as exc:
        # pyarrow's "Error writing bytes to file ... No space left on device" names no file: name the output
        fault = local_fault(exc)
        if fault is not None and not fault.filename:
            raise with_path(fault, final) from exc
        raise
    finally:
        if tmp.exists():
            tmp.unlink()
