"""What a failed raster write means when GDAL does not say: libtiff reports a full disk as "IO error writing
tag data", with no errno and no "No space left on device" anywhere. Asking the file system afterwards tells a
permanent local fault (full, read-only, not writable) from a GDAL problem, so that the fault is neither
retried nor reported in GDAL's words."""

from __future__ import annotations

import errno
import os
from pathlib import Path


def _existing_folder(path: Path) -> Path:
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def diagnose_write_error(path: str | os.PathLike, exc: BaseException, needed_bytes: int = 0) -> OSError | None:
    """An OSError with the errno and the OS's wording (EROFS, EACCES, ENOSPC) for the failed write of `path`,
    the writer's error in its message; None when the file system looks fine, or `exc` is an OSError that
    already carries an errno: then the writer's own error stands. Less free space than `needed_bytes` (an upper
    bound, such as the uncompressed size; at least 1 MiB) counts as a full disk."""
    if isinstance(exc, OSError) and exc.errno is not None:
        return None
    folder = _existing_folder(Path(path))
    try:
        fs = os.statvfs(folder)
    except OSError:
        return None
    said = f"{type(exc).__name__}: {exc}"
    if fs.f_flag & os.ST_RDONLY:
        code, detail = errno.EROFS, said
    elif not os.access(folder, os.W_OK):
        code, detail = errno.EACCES, said
    elif (free := fs.f_bavail * fs.f_frsize) < max(needed_bytes, 1 << 20):
        code, detail = errno.ENOSPC, f"{free:,} bytes free in {folder}; {said}"
    else:
        return None
    return OSError(code, f"{os.strerror(code)} ({detail})", str(path))
