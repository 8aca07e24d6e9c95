"""The models side by side: train them all on the same labels, save and load them together, and score
them on held-out labels."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from sacnn_dagster.models.base import MonthlyModel, Prediction
from sacnn_dagster.models.dataset import FactoryRegistry, Labels, MonthlyDataset
from sacnn_dagster.models.registry import MODELS

#: The fewest labelled values the models are trained on: fewer give no model worth keeping.
MIN_TRAINING_LABELS = 10


def models_code_digest() -> str:
    """Hash of the models' source files, subpackages included: changed model code means a new model version,
    never a stale one."""
    folder = Path(__file__).parent
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*.py")):
        h.update(path.relative_to(folder).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def training_version(patch_digests: dict[str, str], labels: Labels) -> str:
    """Changes whenever the training inputs or the model code change: the months' patch files, the labels,
    or any source file of the models."""
    h = hashlib.sha256(models_code_digest().encode())
    h.update(json.dumps(sorted(patch_digests.items())).encode())
    h.update(json.dumps([labels.periods, labels.values.round(6).tolist()]).encode())
    return h.hexdigest()[:16]


def fit_all(data: MonthlyDataset, labels: Labels) -> dict[str, tuple[MonthlyModel, dict]]:
    """Every model trained on exactly the same months and labels."""
    out = {}
    for name, cls in MODELS.items():
        model = cls()
        info = model.fit(data, labels)
        out[name] = (model, info)
    return out


def save_all(models: dict[str, MonthlyModel], registry: FactoryRegistry, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "registry.json").write_text(json.dumps(list(registry.ids)))
    for name, model in models.items():
        model.save(folder / name)


def load_all(folder: Path) -> tuple[dict[str, MonthlyModel], FactoryRegistry]:
    registry = FactoryRegistry(tuple(json.loads((folder / "registry.json").read_text())))
    models = {name: cls.load(folder / name) for name, cls in MODELS.items() if (folder / name).is_dir()}
    return models, registry


def label_prediction(labels: Labels, prediction: Prediction) -> np.ndarray:
    """What each label is compared with: the sum of the predictions of the months it covers."""
    return labels.membership @ prediction.estimate
