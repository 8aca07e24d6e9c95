"""The model domain's definitions."""

from __future__ import annotations

import dagster as dg

from sacnn_dagster.defs.model.gvio_model import gvio_model


def model_definitions() -> dg.Definitions:
    return dg.Definitions(assets=[gvio_model])
