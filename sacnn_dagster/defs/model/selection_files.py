"""The served candidate's record in the model folder: `selection.json` (the choice, the rule, every
candidate's rolling-origin scores, the ensemble's weights, the conformal half widths), and the folds'
`rolling_origin_predictions.parquet` and `rolling_origin_labels.parquet` the evaluation reuses."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from sacnn_dagster.defs.resources.storage import OutputStorage
from sacnn_dagster.evaluation.rolling_origin import rolling_folds, rolling_origin
from sacnn_dagster.evaluation.selection import Selection, candidate_predictions, select
from sacnn_dagster.io.layout import model_folder
from sacnn_dagster.models.dataset import Labels, MonthlyDataset
from sacnn_dagster.models.registry import MODELS

SELECTION_FILE = "selection.json"
PREDICTIONS_FILE = "rolling_origin_predictions.parquet"
LABELS_FILE = "rolling_origin_labels.parquet"


def validate_into(folder: Path, data: MonthlyDataset, labels: Labels) -> Selection:
    """Every model trained per rolling-origin fold, the served candidate chosen; written into `folder`."""
    result = rolling_origin(data, labels) if rolling_folds(data, labels) else None
    selection, table = select(result, list(MODELS))
    (folder / SELECTION_FILE).write_text(json.dumps(selection.to_json(), indent=1, sort_keys=True, default=float))
    if result is not None:
        candidate_predictions(result, selection).to_parquet(folder / PREDICTIONS_FILE, index=False)
        table.to_parquet(folder / LABELS_FILE, index=False)
    return selection


def read_selection(storage: OutputStorage, version: str) -> Selection | None:
    """The version's selection; None for a folder trained before selections existed. An incomplete folder
    (no manifest) is an error, never read."""
    storage.require_complete(model_folder(version))
    key = f"{model_folder(version)}/{SELECTION_FILE}"
    if not storage.exists(key):
        return None
    with storage.reading(key) as path:
        return Selection.from_json(json.loads(path.read_text()))


def read_rolling_labels(storage: OutputStorage, version: str) -> pd.DataFrame | None:
    """The folds' held-out labels with every candidate's prediction; None without folds."""
    storage.require_complete(model_folder(version))
    key = f"{model_folder(version)}/{LABELS_FILE}"
    if not storage.exists(key):
        return None
    with storage.reading(key) as path:
        return pd.read_parquet(path)
