"""The trained models (`gvio_model`): one version per set of training inputs, the version in use named in
`gvio_model/current.json`."""

import json
import tempfile
from pathlib import Path

import dagster as dg

from sacnn_dagster.defs.model.training_data import load_training_data
from sacnn_dagster.defs.resources.storage import OutputStorage
from sacnn_dagster.io.layout import MODEL_CURRENT, model_folder
from sacnn_dagster.models.suite import MIN_TRAINING_LABELS, fit_all, save_all, training_version
from sacnn_dagster.versioning.versions import code_digest


@dg.asset(
    deps=["factory_patches", "gvio_statistics"],
    group_name="model",
    kinds={"torch", "scikitlearn"},
    code_version=code_digest("models"),
)
def gvio_model(context: dg.AssetExecutionContext, storage: OutputStorage) -> dg.MaterializeResult:
    """The trained models of monthly GVIO: SA-CNN (the paper's CNN on the per-factory feature image plus
    urban/rural light statistics), a random forest on the same features, a ridge regression on the
    factory features summed over the city (`sum_ridge`) and a linear baseline on total light, all
    trained on every month that has a published value (a combined January–February value trains
    against the sum of the two months' predictions). A new version is trained whenever the
    labelled months or their patches change; an unchanged set of inputs reuses the stored version.
    `gvio_model/<version>/`, with `gvio_model/current.json` naming the version in use."""
    data, labels, skipped, digests = load_training_data(storage)
    if len(labels) < MIN_TRAINING_LABELS:
        raise ValueError(f"only {len(labels)} labelled value(s) with data: too few to train on")
    version = training_version(digests, labels)
    folder = model_folder(version)
    reused = storage.exists(f"{folder}/registry.json")
    info: dict = {}
    if not reused:
        trained = fit_all(data, labels)
        info = {name: i for name, (_, i) in trained.items()}
        with tempfile.TemporaryDirectory() as tmp:
            save_all({n: m for n, (m, _) in trained.items()}, data.registry, Path(tmp))
            (Path(tmp) / "training.json").write_text(json.dumps(info, sort_keys=True, default=str))
            storage.put_folder(Path(tmp), folder)
    else:
        with storage.reading(f"{folder}/training.json") as path:
            info = json.loads(path.read_text())
    current = {"version": version, "labels": len(labels), "months": data.months, "periods": labels.periods}
    with storage.writing(MODEL_CURRENT) as tmp:
        Path(tmp).write_text(json.dumps(current, sort_keys=True))
    context.log.info(f"gvio_model {version}: {'reused' if reused else 'trained'} on {len(labels)} labels")
    return dg.MaterializeResult(
        metadata={
            "version": version,
            "reused_existing_version": reused,
            "labels": len(labels),
            "combined_labels": int((labels.months_per_label > 1).sum()),
            "labels_without_data": ", ".join(skipped) or "none",
            "months_with_patches": len(data.months),
            "factories_in_registry": len(data.registry.ids),
            **{f"{name}_training_seconds": float(i.get("seconds", 0.0)) for name, i in info.items()},
            **{f"{name}_epochs": int(i["epochs"]) for name, i in info.items() if "epochs" in i},
            "path": dg.MetadataValue.path(storage.uri(folder)),
        },
        data_version=dg.DataVersion(version),
    )
