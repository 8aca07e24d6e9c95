"""The common interface of the models of monthly GVIO (亿元), and their registry.

Every model predicts one value per month of a `MonthlyDataset`; it learns from `Labels`, whose rows may
cover several months (a combined January-February release is compared with the *sum* of the two months'
predictions). A model saves everything it needs to predict into one folder of its own; the caller stores
the factory registry (the row order of the dataset) beside it and must build the dataset to predict with
that registry.
"""

from __future__ import annotations

import hashlib
import json
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

from sacnn_dagster.models.dataset import Labels, MonthlyDataset

#: Keys of `fit`'s information that differ from one run to the next (wall-clock time): reported as run
#: metadata, never written into a file, so that the same inputs give the same bytes.
TIMING_KEYS = frozenset({"seconds"})


def without_timings(info: dict) -> dict:
    """`fit`'s information less its wall-clock timings: what may be stored in a file."""
    return {k: v for k, v in info.items() if k not in TIMING_KEYS}


@dataclass
class Prediction:
    """Per month of the dataset, 亿元: the estimate and a (nominal 90 %) interval around it."""

    estimate: np.ndarray  # float64 (M,)
    lower: np.ndarray  # float64 (M,)
    upper: np.ndarray  # float64 (M,)

    def __post_init__(self) -> None:
        self.estimate = np.asarray(self.estimate, dtype=np.float64)
        self.lower = np.asarray(self.lower, dtype=np.float64)
        self.upper = np.asarray(self.upper, dtype=np.float64)


class MonthlyModel(ABC):
    name: str

    @abstractmethod
    def fit(self, data: MonthlyDataset, labels: Labels) -> dict:
        """Learn from `labels` (whose membership columns are `data.months`); returns training information
        for metadata (at least `seconds` and `n_labels`), JSON-serializable."""

    @abstractmethod
    def predict(self, data: MonthlyDataset) -> Prediction:
        """One estimate per month of `data` (built with the registry the model was trained with)."""

    @abstractmethod
    def save(self, folder: Path) -> None:
        """Everything needed to predict later, into `folder` (created if needed)."""

    @classmethod
    @abstractmethod
    def load(cls, folder: Path) -> MonthlyModel: ...


class JsonStateModel(MonthlyModel):
    """A model whose whole fitted state is a small JSON-able dict (`self.state`) beside its `self.config`."""

    config: dict
    state: dict

    def save(self, folder: Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        write_json(folder / "model.json", {"name": self.name, "config": self.config, "state": self.state})

    @classmethod
    def load(cls, folder: Path) -> JsonStateModel:
        meta = read_json(Path(folder) / "model.json")
        model = cls(**meta["config"])
        model.state = meta["state"]
        return model


#: Nominal coverage of every model's interval.
INTERVAL_COVERAGE = 0.90


def t_quantile(p: float, dof: int) -> float:
    """Student t quantile (scipy's), with at least one degree of freedom."""
    return float(stats.t.ppf(p, max(dof, 1)))


def residual_half_width(residuals: np.ndarray, coverage: float = INTERVAL_COVERAGE) -> float:
    """Half width of a `coverage` prediction interval for a new value from n held-out residuals:
    t(n-1) * rms * sqrt(1 + 1/n)."""
    n = len(residuals)
    s = float(np.sqrt(np.mean(np.square(residuals))))
    return t_quantile(0.5 + coverage / 2, n - 1) * s * math.sqrt(1 + 1 / n)


def check_labels(data: MonthlyDataset, labels: Labels) -> None:
    if labels.membership.shape != (len(labels), len(data.months)):
        raise ValueError(
            f"labels.membership is {labels.membership.shape}, expected ({len(labels)}, {len(data.months)}):"
            " its columns must be the dataset's months"
        )
    if len(labels) == 0:
        raise ValueError("no labels to learn from")
    if not np.all(np.isfinite(labels.values)):
        raise ValueError("labels contain non-finite values")


def write_json(path: Path, payload: dict) -> None:
    path.write_text(json.dumps(payload, indent=1, sort_keys=True, ensure_ascii=False))


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())


def version(folder: Path) -> str:
    """Content hash of a saved model folder (file names and bytes, sorted): equal folders, equal hashes."""
    h = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        h.update(path.relative_to(folder).as_posix().encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:16]
