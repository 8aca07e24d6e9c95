"""Verdict on the month's factory patches (`factory_patches`): exactly one patch for every factory, each
centred on the month's grid."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sacnn_dagster.quality.verdict import Measured, Verdict


def patch_completeness(
    factory_ids: Sequence[str],
    patch_ids: Sequence[str],
    rows: np.ndarray,
    cols: np.ndarray,
    grid_shape: tuple[int, int],
) -> Verdict:
    """Exactly one patch row for every factory of the month, each centred on a pixel of the month's grid."""
    factories, patches = set(factory_ids), list(patch_ids)
    missing = sorted(factories - set(patches))
    extra = sorted(set(patches) - factories)
    duplicates = len(patches) - len(set(patches))
    height, width = grid_shape
    rows, cols = np.asarray(rows), np.asarray(cols)
    off_grid = int(((rows < 0) | (rows >= height) | (cols < 0) | (cols >= width)).sum())
    measured: Measured = {
        "factories": len(factories),
        "patch_rows": len(patches),
        "factories_without_patch": len(missing),
        "patches_without_factory": len(extra),
        "duplicate_patch_ids": duplicates,
        "patches_off_grid": off_grid,
    }
    faults = []
    if missing:
        faults.append(f"{len(missing)} factories without a patch (e.g. {', '.join(missing[:5])})")
    if extra:
        faults.append(f"{len(extra)} patches of unknown factories (e.g. {', '.join(extra[:5])})")
    if duplicates:
        faults.append(f"{duplicates} duplicate patch row(s)")
    if off_grid:
        faults.append(f"{off_grid} patch(es) centred off the {height}x{width} grid")
    if faults:
        return Verdict(False, "; ".join(faults), measured)
    return Verdict(True, f"one patch for each of the {len(factories)} factories", measured)
