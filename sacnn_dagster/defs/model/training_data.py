"""What the model assets read from storage: every month's patches with the published statistics, arranged
for the models, and the model version in use."""

import hashlib
import json

import pandas as pd

from sacnn_dagster.defs.resources.storage import OutputStorage
from sacnn_dagster.features.patch_table import read_patch_table
from sacnn_dagster.io.layout import MODEL_CURRENT, STATISTICS_FILE, month_file, months_stored
from sacnn_dagster.models.dataset import Labels, MonthlyDataset, build_dataset, build_labels


def load_training_data(storage: OutputStorage, registry=None) -> tuple[MonthlyDataset, Labels, list[str], dict]:
    """Every stored month's patches and the published statistics, arranged for the models."""
    months = months_stored(storage.list_keys("factory_patches"), "factory_patches")
    if not months:
        raise FileNotFoundError("no factory_patches stored yet: materialize the monthly features first")
    tables, digests = {}, {}
    for month in months:
        with storage.reading(month_file("factory_patches", month)) as path:
            digests[month] = hashlib.sha256(path.read_bytes()).hexdigest()
            tables[month] = read_patch_table(path)
    data = build_dataset(tables, registry)
    with storage.reading(STATISTICS_FILE) as path:
        statistics = pd.read_parquet(path)
    labels, skipped = build_labels(statistics, data.months)
    return data, labels, skipped, digests


def read_current_model(storage: OutputStorage) -> dict:
    if not storage.exists(MODEL_CURRENT):
        raise FileNotFoundError("no trained model yet: materialize gvio_model first")
    with storage.reading(MODEL_CURRENT) as path:
        return json.loads(path.read_text())
