"""The `factory_patches/YYYY-MM.parquet` format: one row per factory with its features and its buffer
window, plus the month's zone statistics and the patch geometry in the file's key-value metadata
(key `sacnn`, JSON). pandas, pyarrow and DuckDB read it as it is."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sacnn_dagster.features.patches import FEATURE_COLUMNS, Patches

METADATA_KEY = b"sacnn"


def write_patch_table(
    path: Path, ids: np.ndarray, lng: np.ndarray, lat: np.ndarray, patches: Patches, month_info: dict
) -> None:
    n, h, w = patches.windows.shape
    columns = {
        "id": pa.array(ids, type=pa.string()),
        "lng": pa.array(lng, type=pa.float64()),
        "lat": pa.array(lat, type=pa.float64()),
        "row": pa.array(patches.rows, type=pa.int32()),
        "col": pa.array(patches.cols, type=pa.int32()),
        **{name: pa.array(patches.features[name], type=pa.float64(), from_pandas=True) for name in FEATURE_COLUMNS},
        "patch": pa.chunked_array(
            [
                pa.FixedSizeListArray.from_arrays(_float32_nan_as_null(block.reshape(-1)), h * w)
                for block in _row_blocks(patches.windows)
            ],
            type=pa.list_(pa.float32(), h * w),
        ),
    }
    info = {**month_info, "patch_height": h, "patch_width": w, "feature_columns": list(FEATURE_COLUMNS)}
    # strict JSON: a statistic with no observed pixel is null, not NaN
    info = {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in info.items()}
    metadata = json.dumps(info, sort_keys=True, allow_nan=False).encode()
    table = pa.table(columns).replace_schema_metadata({METADATA_KEY: metadata})
    pq.write_table(table, path, compression="zstd")


#: Rows of the patch column handed to the Parquet writer at a time: it builds the list column's levels
#: (two int16 per value) for what it is handed, 570 MB for a million factories' windows at once. A multiple
#: of 1024 (the writer's batch), so that its pages are cut where they were: the same bytes.
PATCH_ROWS_PER_CHUNK = 65_536


def _row_blocks(windows: np.ndarray) -> list[np.ndarray]:
    n = windows.shape[0]
    return [windows[i : i + PATCH_ROWS_PER_CHUNK] for i in range(0, n, PATCH_ROWS_PER_CHUNK)] or [windows]


def _float32_nan_as_null(values: np.ndarray) -> pa.Array:
    """`pa.array(values, pa.float32(), from_pandas=True)` (NaN as null) without copying the values: the array
    over the float32 buffer as it is and a validity bitmap (a million factories' windows are 570 MB)."""
    values = np.ascontiguousarray(values, dtype=np.float32)
    valid = ~np.isnan(values)
    nulls = int(values.size - np.count_nonzero(valid))
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little")) if nulls else None
    return pa.Array.from_buffers(pa.float32(), values.size, [bitmap, pa.py_buffer(values)], null_count=nulls)


@dataclass
class PatchTable:
    factories: pd.DataFrame  # id, lng, lat, row, col and the feature columns
    windows: np.ndarray  # float32 (N, h, w)
    info: dict  # month, zone statistics, patch geometry


def read_patch_table(path: Path) -> PatchTable:
    table = pq.read_table(path)
    info = json.loads(table.schema.metadata[METADATA_KEY])
    h, w = info["patch_height"], info["patch_width"]
    flat = table.column("patch").combine_chunks().flatten().to_numpy(zero_copy_only=False)
    windows = flat.astype(np.float32).reshape(-1, h, w)
    return PatchTable(factories=table.drop(["patch"]).to_pandas(), windows=windows, info=info)
