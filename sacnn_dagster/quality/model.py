"""Verdict on the models' evaluation (`model_evaluation`): SA-CNN's R² on held-out labels against the
region's floor."""

from __future__ import annotations

from sacnn_dagster.config.limits import Limits
from sacnn_dagster.quality.verdict import Measured, Verdict, finite_or_none

#: R² of fewer held-out labels is noise (the small demo's random split holds out 4 labels, R² 0.16, while
#: its 12-label time split gives 0.86 for the same model): such a split is reported, not judged.
MIN_HELD_OUT_LABELS = 10


def heldout_r2(models: dict, limits: Limits = Limits(), model: str = "sacnn", baseline: str = "linear") -> Verdict:
    """`model`'s held-out R² on each split of `evaluation/summary.json` (`models` part) against the floor;
    splits with fewer than MIN_HELD_OUT_LABELS held-out labels are reported, not judged."""
    floor = limits.r2_floor
    measured: Measured = {"floor": floor, "min_held_out_labels": MIN_HELD_OUT_LABELS}
    judged, failing = [], []
    for split, scores in models[model].items():
        r2, n = finite_or_none(scores["r2"]), int(scores["n_test"])
        measured[f"{split}_r2"] = r2
        measured[f"{split}_held_out_labels"] = n
        if baseline in models:
            measured[f"{baseline}_{split}_r2"] = finite_or_none(models[baseline][split]["r2"])
        if n >= MIN_HELD_OUT_LABELS:
            judged.append(f"{split} {'NaN' if r2 is None else f'{r2:.3g}'} ({n} labels)")
            if r2 is None or r2 < floor:
                failing.append(split)
    if not judged:
        return Verdict(True, f"no split holds out {MIN_HELD_OUT_LABELS} labels: R² reported, not judged", measured)
    text = f"{model} held-out R²: {', '.join(judged)}; floor {floor}"
    return Verdict(not failing, text if not failing else f"{text}: below it on {', '.join(failing)}", measured)
