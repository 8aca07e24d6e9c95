"""Every model trained on some labels and scored on the others."""

from __future__ import annotations

import numpy as np

from sacnn_dagster.evaluation.metrics import metrics
from sacnn_dagster.models.dataset import Labels, MonthlyDataset
from sacnn_dagster.models.suite import fit_all, label_prediction


def held_out_scores(data: MonthlyDataset, labels: Labels, train: np.ndarray, test: np.ndarray) -> dict[str, dict]:
    """Train every model on the `train` labels only and score it on the `test` labels."""
    scores = {}
    train_labels, test_labels = labels.subset(train), labels.subset(test)
    for name, (model, info) in fit_all(data, train_labels).items():
        predicted = label_prediction(test_labels, model.predict(data))
        scores[name] = {
            **metrics(test_labels.values, predicted),
            "n_train": len(train_labels),
            "n_test": len(test_labels),
            "test_periods": test_labels.periods,
            "predicted": predicted.round(3).tolist(),
            "observed": test_labels.values.tolist(),
            "training": info,
        }
    return scores
