"""Models that can tell each factory's share of the month's output.

A model whose monthly total is a sum of per-factory contributions implements `factory_outputs`; the
`gvio_factory` asset and the per-factory grid ask every model for it and skip those that cannot give it.
"""

from __future__ import annotations

from abc import abstractmethod

import numpy as np

from sacnn_dagster.models.base import MonthlyModel
from sacnn_dagster.models.dataset import MonthlyDataset


class FactoryOutputModel(MonthlyModel):
    @abstractmethod
    def factory_outputs(self, data: MonthlyDataset) -> np.ndarray:
        """(M, R) 亿元 per factory (registry order, the factories the model was trained with), non-negative,
        each month summing to the model's estimate for that month."""


def gives_factory_outputs(model: MonthlyModel) -> bool:
    return isinstance(model, FactoryOutputModel)


def shares(outputs: np.ndarray) -> np.ndarray:
    """(M, R) each factory's share of its month's total (0 where the month's total is 0)."""
    total = outputs.sum(axis=1, keepdims=True)
    return np.divide(outputs, total, out=np.zeros_like(outputs, dtype=np.float64), where=total > 0)


def month_factory_outputs(outputs: np.ndarray, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One month's factories (their `positions` in the model's registry, -1 for factories the model does
    not know) from its (R,) `outputs`: each one's estimate and share, both adding up over the month's
    factories to the model's total (a factory the model does not know gets nothing; a factory missing from
    the month's list, whose output gap filling kept, hands its part to the others in proportion)."""
    positions = np.asarray(positions, dtype=np.int64)
    known = (positions >= 0) & (positions < len(outputs))
    raw = np.zeros(len(positions))
    raw[known] = outputs[positions[known]]
    share = shares(raw[None, :])[0]
    return share * outputs.sum(), share
