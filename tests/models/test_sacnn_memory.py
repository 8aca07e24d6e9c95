"""SA-CNN at a country's scale: a region whose month images would not fit is refused before any work, with
a message naming the factories, the memory and the models that scale."""

from __future__ import annotations

import numpy as np
import pytest

from sacnn_dagster.models.sacnn import SacnnModel
from sacnn_dagster.models.sacnn.memory import SacnnTooLarge, refuse_if_too_large, sacnn_memory_bytes

from . import jan_feb_combined, monthly_labels, synthetic


def test_a_region_over_the_limit_is_refused_before_training(monkeypatch):
    data, truth = synthetic(n_months=24, n_factories=40)
    labels = monthly_labels(truth, data.months, jan_feb_combined(data.months))
    model = SacnnModel(max_epochs=1)
    model.memory_limit_bytes = sacnn_memory_bytes(24, 40, data.tables.shape[2], 20, True) - 1
    monkeypatch.setattr(
        "sacnn_dagster.models.sacnn.model.model_inputs", lambda *a: pytest.fail("work started before the check")
    )
    with pytest.raises(ValueError, match="40 factories") as refused:
        model.fit(data, labels)
    assert isinstance(refused.value, SacnnTooLarge)
    message = str(refused.value)
    assert "GB of memory" in message and "factory_sum" in message and "random_forest" in message
    assert model.net is None


def test_a_region_under_the_limit_trains_as_before():
    data, truth = synthetic(n_months=24, n_factories=40)
    labels = monthly_labels(truth, data.months, jan_feb_combined(data.months))
    model = SacnnModel(max_epochs=1)
    model.memory_limit_bytes = sacnn_memory_bytes(24, 40, data.tables.shape[2], 20, True)
    model.fit(data, labels)
    assert np.isfinite(model.predict(data).estimate).all()


def test_a_million_factories_is_refused_at_the_default_limit():
    with pytest.raises(SacnnTooLarge) as refused:
        refuse_if_too_large(108, 1_000_000, 20, 20, True, SacnnModel.memory_limit_bytes)
    assert "1,000,000 factories" in str(refused.value) and "4,473 x 4,473 image" in str(refused.value)
    # the accuracy bank's largest region (20 000 factories, 108 months) still trains
    refuse_if_too_large(108, 20_000, 20, 20, True, SacnnModel.memory_limit_bytes)
