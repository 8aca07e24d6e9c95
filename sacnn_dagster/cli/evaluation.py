"""The evaluation on held-out months, as `run` and `demo` print it at the end."""

from __future__ import annotations

import json

import dagster as dg

from sacnn_dagster.io.layout import EVALUATION_SUMMARY

#: The line above the table (tests look for it).
EVALUATION_HEADING = "Evaluation on held-out months (evaluation/summary.json):"


def read_evaluation(defs: dg.Definitions) -> dict:
    storage = defs.resources["storage"]
    with storage.reading(EVALUATION_SUMMARY) as path:
        return json.loads(path.read_text())


def evaluation_table(summary: dict) -> str:
    """The evaluation as a plain-text table for the terminal."""
    lines = [f"{'model':<15}{'split':<8}{'R²':>8}{'RMSE':>10}{'MAPE %':>9}"]
    for model, splits in summary["models"].items():
        for split in ("random", "time"):
            m = splits[split]
            lines.append(f"{model:<15}{split:<8}{m['r2']:>8.3f}{m['rmse']:>10.1f}{m['mape']:>9.2f}")
    served = summary.get("selected", {}).get("model")
    rolling = summary.get("rolling_origin") or {}
    if rolling:
        lines.append(f"rolling origin (train to year Y-1, predict year Y): {'R²':>8}{'RMSE':>10}{'MAPE %':>9}")
        for name, m in rolling.items():
            mark = "  <- served" if name == served else ""
            lines.append(f"  {name:<50}{m['r2']:>8.3f}{m['rmse']:>10.1f}{m['mape']:>9.2f}{mark}")
    if served:
        lines.append(f"served estimate: {served}")
    grid = summary["grid"]
    for key in ("r2_vs_true_grid", "r2_vs_district"):
        value = grid.get(key)
        lines.append(f"grid {key}: {value:.3f}" if value is not None else f"grid {key}: not available")
    return "\n".join(lines)
