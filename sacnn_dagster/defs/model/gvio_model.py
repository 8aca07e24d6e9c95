"""The trained models (`gvio_model`): one version per set of training inputs, the version in use named in
`gvio_model/current.json`."""

import hashlib
import json
import tempfile
from pathlib import Path

import dagster as dg
import pandas as pd

from sacnn_dagster.defs.model.selection_files import read_selection, validate_into
from sacnn_dagster.defs.model.training_data import load_training_data
from sacnn_dagster.defs.resources.storage import OutputStorage
from sacnn_dagster.evaluation.selection import Selection, select
from sacnn_dagster.io.layout import MODEL_CURRENT, model_folder
from sacnn_dagster.models.base import without_timings
from sacnn_dagster.models.registry import MODELS
from sacnn_dagster.models.suite import MIN_TRAINING_LABELS, fit_all, save_all, training_version
from sacnn_dagster.versioning.versions import code_digest

#: The code that decides a model folder's content: the models, and the validation that picks the served one.
MODEL_CODE = code_digest("models", "evaluation.selection")


def _scores_table(selection: Selection) -> str:
    rows = [
        {
            "candidate": c,
            **{k: round(float(s[k]), 4) for k in ("r2", "rmse", "mape")},
            "served": c == selection.selected,
        }
        for c, s in selection.scores.items()
    ]
    return pd.DataFrame(rows).to_markdown(index=False) if rows else "no rolling-origin fold"


@dg.asset(
    deps=["factory_patches", "gvio_statistics"],
    group_name="model",
    kinds={"torch", "scikitlearn"},
    code_version=MODEL_CODE,
)
def gvio_model(context: dg.AssetExecutionContext, storage: OutputStorage) -> dg.MaterializeResult:
    """The trained models of monthly GVIO: SA-CNN (the paper's CNN on the per-factory feature image plus
    urban/rural light statistics), a random forest on the same features, a ridge regression on the
    factory features summed over the city (`sum_ridge`) and a linear baseline on total light, all
    trained on every month that has a published value (a combined January–February value trains
    against the sum of the two months' predictions). The served estimate is chosen here, by validation:
    every model is also trained per rolling-origin fold (labels up to the end of a year, predicting the
    next; the last three years), and the candidate (a model, or their inverse-error weighted ensemble)
    with the best pooled R² on those held-out labels is served; the same held-out errors give each
    candidate's conformal 90 % interval. A new version is trained whenever the labelled months or
    their patches change; an unchanged set of inputs reuses the stored version.
    `gvio_model/<version>/` (with `selection.json`: the choice, the rule and every candidate's scores;
    `COMPLETE.json`, the folder's manifest, written last: a version without it was left by a killed run
    and is trained again), `gvio_model/current.json` naming the version in use. The training times are
    in this metadata, not in the folder, so that the same inputs give the same bytes."""
    data, labels, skipped, digests = load_training_data(storage)
    if len(labels) < MIN_TRAINING_LABELS:
        raise ValueError(f"only {len(labels)} labelled value(s) with data: too few to train on")
    version = hashlib.sha256((training_version(digests, labels) + MODEL_CODE).encode()).hexdigest()[:16]
    folder = model_folder(version)
    # only a complete version (its manifest written last) is reused; one left incomplete by a killed run is
    # trained again, and put_folder clears what it left
    reused = storage.folder_manifest(folder) is not None
    if not reused and storage.list_keys(folder):
        context.log.warning(f"{storage.uri(folder)} was left incomplete by an interrupted run: training it again")
    info: dict = {}
    if not reused:
        trained = fit_all(data, labels)
        info = {name: i for name, (_, i) in trained.items()}
        with tempfile.TemporaryDirectory() as tmp:
            save_all({n: m for n, (m, _) in trained.items()}, data.registry, Path(tmp))
            # the wall-clock seconds go to the metadata below, not into the file: same inputs, same bytes
            stored = {name: without_timings(i) for name, i in info.items()}
            (Path(tmp) / "training.json").write_text(json.dumps(stored, sort_keys=True, default=str))
            selection = validate_into(Path(tmp), data, labels)
            storage.put_folder(Path(tmp), folder)
    else:
        with storage.reading(f"{folder}/training.json") as path:
            info = json.loads(path.read_text())
        selection = read_selection(storage, version) or select(None, list(MODELS))[0]
    current = {"version": version, "labels": len(labels), "months": data.months, "periods": labels.periods}
    with storage.writing(MODEL_CURRENT) as tmp:
        Path(tmp).write_text(json.dumps(current, sort_keys=True))
    context.log.info(
        f"gvio_model {version}: {'reused' if reused else 'trained'} on {len(labels)} labels,"
        f" serving {selection.selected}"
    )
    return dg.MaterializeResult(
        metadata={
            "version": version,
            "reused_existing_version": reused,
            "labels": len(labels),
            "combined_labels": int((labels.months_per_label > 1).sum()),
            "labels_without_data": ", ".join(skipped) or "none",
            "months_with_patches": len(data.months),
            "factories_in_registry": len(data.registry.ids),
            **{f"{name}_training_seconds": float(i["seconds"]) for name, i in info.items() if "seconds" in i},
            **{f"{name}_epochs": int(i["epochs"]) for name, i in info.items() if "epochs" in i},
            "selected": selection.selected,
            "selection_rule": selection.rule,
            "rolling_origin_scores": dg.MetadataValue.md(_scores_table(selection)),
            **{f"{c}_rolling_origin_r2": float(s["r2"]) for c, s in selection.scores.items()},
            **{f"ensemble_weight_{m}": w for m, w in selection.weights.items()},
            "path": dg.MetadataValue.path(storage.uri(folder)),
        },
        data_version=dg.DataVersion(version),
    )
