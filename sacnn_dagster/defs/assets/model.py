"""Model assets: the trained models (one version per set of training inputs) and their evaluation."""

import hashlib
import json
import tempfile
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd

from sacnn_dagster.config.limits import Limits
from sacnn_dagster.defs.assets.previews import estimates_chart
from sacnn_dagster.defs.checks import HELDOUT_R2, evaluation_check
from sacnn_dagster.defs.resources import RegionResource
from sacnn_dagster.defs.storage import OutputStorage
from sacnn_dagster.evaluation.held_out import held_out_scores
from sacnn_dagster.evaluation.metrics import random_split, time_split
from sacnn_dagster.evaluation.validation import PooledR2, annual_district_r2
from sacnn_dagster.features.patch_table import read_patch_table
from sacnn_dagster.geo.cog import read_band
from sacnn_dagster.io.layout import (
    EVALUATION_SUMMARY,
    MODEL_CURRENT,
    STATISTICS_FILE,
    model_folder,
    month_file,
    months_stored,
)
from sacnn_dagster.models.dataset import Labels, MonthlyDataset, build_dataset, build_labels
from sacnn_dagster.models.suite import fit_all, save_all, training_version
from sacnn_dagster.versioning.versions import code_digest


def load_training_data(storage: OutputStorage, registry=None) -> tuple[MonthlyDataset, Labels, list[str], dict]:
    """Every stored month's patches and the published statistics, arranged for the models."""
    months = months_stored(storage.list_keys("factory_patches"), "factory_patches")
    if not months:
        raise FileNotFoundError("no factory_patches stored yet: materialize the monthly features first")
    tables, digests = {}, {}
    for month in months:
        with storage.reading(month_file("factory_patches", month)) as path:
            digests[month] = hashlib.sha256(path.read_bytes()).hexdigest()
            tables[month] = read_patch_table(path)
    data = build_dataset(tables, registry)
    with storage.reading(STATISTICS_FILE) as path:
        statistics = pd.read_parquet(path)
    labels, skipped = build_labels(statistics, data.months)
    return data, labels, skipped, digests


def read_current_model(storage: OutputStorage) -> dict:
    if not storage.exists(MODEL_CURRENT):
        raise FileNotFoundError("no trained model yet: materialize gvio_model first")
    with storage.reading(MODEL_CURRENT) as path:
        return json.loads(path.read_text())


def grid_validation(storage: OutputStorage, months: list[str], truth_dir: Path) -> dict | None:
    """R² of the stored SA-CNN grids against the true grids, pooled over every pixel of every month."""
    pooled = PooledR2()
    for month in months:
        truth_path = truth_dir / f"{month}.tif"
        if not truth_path.is_file():
            continue
        truth, _ = read_band(truth_path)
        with storage.reading(month_file("gvio_grid", month)) as path:
            grid, _ = read_band(path)
        if truth.shape != grid.shape:
            raise ValueError(f"{truth_path}: shape {truth.shape} differs from the grid's {grid.shape}")
        pooled.add(month, truth, grid)
    if not pooled.per_month:
        return None
    per_month = np.array(list(pooled.per_month.values()))
    return {"r2": pooled.r2, "months": len(per_month), "median_monthly_r2": float(np.nanmedian(per_month))}


def district_validation(storage: OutputStorage, months: list[str], truth_csv: Path) -> dict | None:
    """R² of the grid summed by district and year against published district totals."""
    if not truth_csv.is_file():
        return None
    frames = []
    for month in months:
        key = month_file("gvio_by_district", month)
        if storage.exists(key):
            with storage.reading(key) as path:
                frames.append(pd.read_parquet(path).assign(month=month))
    if not frames:
        return None
    truth = pd.read_csv(truth_csv, dtype={"district": str})
    return annual_district_r2(pd.concat(frames, ignore_index=True), truth)


def _summary_table(models: dict) -> str:
    rows = []
    for name, splits in models.items():
        rows.append(
            {
                "model": name,
                **{
                    f"{s} {k}": round(splits[s][k], 4 if k == "r2" else 2)
                    for s in ("random", "time")
                    for k in ("r2", "rmse", "mape")
                },
            }
        )
    return pd.DataFrame(rows).to_markdown(index=False)


def build_model_assets(has_districts: bool, limits: Limits) -> list:
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
        if len(labels) < 10:
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

    @dg.asset(
        deps=["gvio_model", "gvio_grid", *(["gvio_by_district"] if has_districts else [])],
        group_name="outputs",
        kinds={"pandas"},
        code_version=code_digest("evaluation", "evaluation.validation", "models"),
        check_specs=[HELDOUT_R2.spec(limits)],
    )
    def model_evaluation(
        context: dg.AssetExecutionContext, region: RegionResource, storage: OutputStorage
    ) -> dg.MaterializeResult:
        """How good the estimates are, on months the models never saw: for each model, R², RMSE and MAPE
        under the paper's random split (1/6 of the labels held out, seed 2021) and under a time-ordered
        hold-out (the last 12 labels), each model retrained on the training labels only. Grid validation:
        the SA-CNN grid against the true grid (synthetic regions) and, summed by district and year, against
        `validation/district_gvio_annual.csv`. `evaluation/summary.json`. The `estimates_chart` shows every
        month's estimates and intervals against the published statistics (`previews/gvio_estimates.png`)."""
        data, labels, _, _ = load_training_data(storage)
        splits = {"random": random_split(len(labels)), "time": time_split([p[:7] for p in labels.periods])}
        per_split = {name: held_out_scores(data, labels, *idx) for name, idx in splits.items()}
        models = {m: {s: per_split[s][m] for s in splits} for m in per_split["random"]}
        grid_months = months_stored(storage.list_keys("gvio_grid"), "gvio_grid")
        validation = region.config.validation_dir
        true_grid = grid_validation(storage, grid_months, validation / "grid")
        district = district_validation(storage, grid_months, validation / "district_gvio_annual.csv")
        grid = {
            "r2_vs_true_grid": true_grid["r2"] if true_grid else None,
            "r2_vs_district": district["r2"] if district else None,
            "true_grid": true_grid,
            "district": district,
        }
        summary = {"models": models, "grid": grid, "model_version": read_current_model(storage)["version"]}
        with storage.writing(EVALUATION_SUMMARY) as tmp:
            Path(tmp).write_text(json.dumps(summary, indent=2, default=float))
        table = _summary_table(models)
        context.log.info("\n" + table)
        return dg.MaterializeResult(
            metadata={
                "summary": dg.MetadataValue.md(table),
                "estimates_chart": estimates_chart(storage),
                **{f"{m}_{s}_r2": float(models[m][s]["r2"]) for m in models for s in splits},
                "grid_r2_vs_true_grid": grid["r2_vs_true_grid"],
                "grid_r2_vs_district": grid["r2_vs_district"],
                "path": dg.MetadataValue.path(storage.uri(EVALUATION_SUMMARY)),
            },
            check_results=[evaluation_check(models, limits)],
        )

    return [gvio_model, model_evaluation]
