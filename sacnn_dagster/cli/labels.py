"""The published statistics as `run` needs them: whether there is anything to train on, and, when the model
had too few labels (a run over a short range on fresh storage), which range would give it enough."""

from __future__ import annotations

import dagster as dg
import pandas as pd

from sacnn_dagster.config.months import month_range
from sacnn_dagster.defs.jobs import FEATURES_JOB
from sacnn_dagster.evaluation.metrics import TIME_HOLDOUT
from sacnn_dagster.io.layout import STATISTICS_FILE
from sacnn_dagster.models.suite import MIN_TRAINING_LABELS as MIN_LABELS

#: What the step failures say when there were too few labels: `gvio_model` below `MIN_LABELS` (models/suite.py); the
#: evaluation's models when the time split held out every label (models/base.py).
TOO_FEW = ("too few to train on", "no labels to learn from")


def too_few_labels(error: str) -> bool:
    return any(words in error for words in TOO_FEW)


def read_statistics(defs: dg.Definitions) -> pd.DataFrame:
    """The stored `gvio_statistics`: one row per published value (`period`, `first_month`, `last_month`,
    `gvio`)."""
    with defs.resources["storage"].reading(STATISTICS_FILE) as path:
        return pd.read_parquet(path)


def too_few_labels_hint(defs: dg.Definitions, end: str) -> str:
    """What to do when the model had too few labels: the range ending at `end` (or, when the months up to
    `end` hold too few, the first range) that holds enough published values whose months all have a
    composite for the model and its evaluation (which holds the last `TIME_HOLDOUT` out), or, when the
    region has fewer, for the model."""
    partitions = set(defs.resolve_job_def(FEATURES_JOB).partitions_def.get_partition_keys())
    available = partitions & set(defs.resources["region"].nightlights.available_months())
    labelled = sorted(
        (row.first_month, row.last_month)
        for row in read_statistics(defs).itertuples(index=False)
        if set(month_range(row.first_month, row.last_month)) <= available
    )
    needs = (
        f"the model needs at least {MIN_LABELS} published values for months with a composite, its evaluation "
        f"{MIN_LABELS + TIME_HOLDOUT} (the last {TIME_HOLDOUT} held out)"
    )
    if len(labelled) < MIN_LABELS:
        return f"{needs}; the region's statistics have {len(labelled)}: add values to its statistics file"
    wanted = MIN_LABELS + TIME_HOLDOUT if len(labelled) >= MIN_LABELS + TIME_HOLDOUT else MIN_LABELS
    up_to_end = [label for label in labelled if label[1] <= end]
    if len(up_to_end) >= wanted:
        first, last = up_to_end[-wanted][0], end
    else:
        first, last = labelled[0][0], max(end, labelled[wanted - 1][1])
    return f"run a longer range, e.g. --start {first} --end {last}: {needs}"
