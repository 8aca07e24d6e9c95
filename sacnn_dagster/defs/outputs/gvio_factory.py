"""The month's output per factory (`gvio_factory`), from every model that adds factories up."""

from collections.abc import Iterator

import dagster as dg
import geopandas as gpd
import numpy as np
import pandas as pd

from sacnn_dagster.defs.common.monthly import monthly_asset_options
from sacnn_dagster.defs.model.training_data import load_training_data, read_current_model
from sacnn_dagster.defs.resources.storage import OutputStorage
from sacnn_dagster.io.layout import model_folder, month_file
from sacnn_dagster.models.factory_output import gives_factory_outputs, month_factory_outputs
from sacnn_dagster.models.suite import load_all
from sacnn_dagster.versioning.versions import code_digest

COLUMNS = ["model", "id", "estimate", "share", "model_version", "geometry"]


def factory_outputs_by_month(storage: OutputStorage, months: list[str]) -> tuple[dict[str, gpd.GeoDataFrame], str]:
    """Per month, one row per factory of the month and model that gives factory outputs."""
    version = read_current_model(storage)["version"]
    with storage.fetched_folder(model_folder(version)) as folder:
        models, registry = load_all(folder)
    models = {name: m for name, m in models.items() if gives_factory_outputs(m)}
    # every stored month, as gvio_estimate does: gap filling looks at the neighbouring months
    data, _, _, _ = load_training_data(storage, registry)
    outputs = {name: m.factory_outputs(data) for name, m in models.items()}
    out = {}
    for month in months:
        with storage.reading(month_file("factories", month)) as path:
            factories = gpd.read_parquet(path, columns=["id", "geometry"])
        ids = factories["id"].astype(str)
        positions = registry.positions(ids)
        frames = []
        for name, per_factory in outputs.items():
            estimate, share = month_factory_outputs(per_factory[data.months.index(month)], positions)
            frames.append(
                gpd.GeoDataFrame(
                    {"model": name, "id": ids.to_numpy(), "estimate": estimate, "share": share},
                    geometry=factories.geometry.to_numpy(),
                    crs=factories.crs,
                ).assign(model_version=version)
            )
        empty = gpd.GeoDataFrame({c: [] for c in COLUMNS[:-1]}, geometry=[], crs=factories.crs)
        table = pd.concat(frames, ignore_index=True) if frames else empty
        out[month] = gpd.GeoDataFrame(table, geometry="geometry", crs=factories.crs)[COLUMNS]
    return out, version


def build_gvio_factory(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        deps=["gvio_model", "factories", "factory_patches"],
        group_name="outputs",
        kinds={"geopandas"},
        code_version=code_digest("models"),
        **monthly_asset_options(partitions, retry_transient=False),
    )
    def gvio_factory(context: dg.AssetExecutionContext, storage: OutputStorage) -> Iterator[dg.MaterializeResult]:
        """The month's industrial output of each factory (亿元), from the models whose monthly total is
        a sum over factories (`factory_sum`): each factory's `estimate` and its `share` of the model's
        city total (the shares of a model add up to 1, its estimates to its row in `gvio_estimate`).
        One row per factory and model: `model`, `id` (the POI id), `estimate`, `share`, `model_version`,
        and the factory's point. GeoParquet, `gvio_factory/YYYY-MM.parquet`; it opens in QGIS as a point
        layer."""
        tables, version = factory_outputs_by_month(storage, list(context.partition_keys))
        for month, table in tables.items():
            key = month_file("gvio_factory", month)
            with storage.writing(key) as tmp:
                table.to_parquet(tmp, index=False)
            top = table.sort_values(["model", "estimate"], ascending=[True, False]).groupby("model").head(5)
            context.add_asset_metadata(
                {
                    "path": dg.MetadataValue.path(storage.uri(key)),
                    "model_version": version,
                    "factories": int(table["id"].nunique()),
                    "models": ", ".join(sorted(table["model"].unique())),
                    **{f"{m}_share_sum": float(np.round(g["share"].sum(), 9)) for m, g in table.groupby("model")},
                    "preview": dg.MetadataValue.md(
                        pd.DataFrame(top.drop(columns="geometry")).round(4).to_markdown(index=False)
                    ),
                },
                partition_key=month,
            )
        yield dg.MaterializeResult()

    return gvio_factory
