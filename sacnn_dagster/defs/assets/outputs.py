"""Output assets: monthly GVIO estimates, the GVIO grid and its district totals."""

from collections.abc import Iterator

import dagster as dg
import numpy as np
import pandas as pd

from sacnn_dagster.config.limits import Limits
from sacnn_dagster.defs.assets.model import load_training_data, read_current_model
from sacnn_dagster.defs.assets.previews import gvio_map
from sacnn_dagster.defs.checks import (
    ESTIMATE_PLAUSIBLE,
    GRID_SUMS,
    CheckedOutput,
    estimate_checks,
    monthly_specs,
    report_months,
)
from sacnn_dagster.defs.resources import RegionResource
from sacnn_dagster.defs.storage import OutputStorage
from sacnn_dagster.evaluation.validation import district_sums
from sacnn_dagster.features.patch_table import read_patch_table
from sacnn_dagster.geo.cog import read_band, write_cog
from sacnn_dagster.geo.districts import district_index, load_districts
from sacnn_dagster.geo.landuse import INDUSTRIAL, LANDUSE_CLASSES, rasterize_landuse
from sacnn_dagster.gridding.gvio_grid import bright_threshold, distribute_estimate
from sacnn_dagster.io.layout import model_folder, month_file
from sacnn_dagster.models.suite import load_all
from sacnn_dagster.quality.verdicts import grid_sum
from sacnn_dagster.versioning.versions import code_digest

UNITS = "亿元 (100 million yuan) per pixel"


def estimate_months(storage: OutputStorage, months: list[str]) -> tuple[dict[str, pd.DataFrame], str, dict[str, int]]:
    """Every model's estimate and interval for `months`, from the current model version."""
    current = read_current_model(storage)
    version = current["version"]
    with storage.fetched_folder(model_folder(version)) as folder:
        models, registry = load_all(folder)
    # all stored months, so that models which look at neighbouring months (gap filling) can
    data, _, _, _ = load_training_data(storage, registry)
    missing = [m for m in months if m not in data.months]
    if missing:
        raise FileNotFoundError(f"no factory_patches for {', '.join(missing)}: materialize the features first")
    predictions = {name: model.predict(data) for name, model in models.items()}
    out = {}
    for month in months:
        i = data.months.index(month)
        out[month] = pd.DataFrame(
            {
                "model": list(predictions),
                "estimate": [float(p.estimate[i]) for p in predictions.values()],
                "lower": [float(p.lower[i]) for p in predictions.values()],
                "upper": [float(p.upper[i]) for p in predictions.values()],
                "model_version": version,
            }
        )
    unknown = dict(zip(data.months, data.unknown_factories.tolist(), strict=True))
    return out, version, unknown


def grid_month(region: RegionResource, storage: OutputStorage, month: str) -> tuple[dict, float, float]:
    """Write one month's grid; returns metadata, the SA-CNN estimate and the stored grid's sum."""
    with storage.reading(month_file("gvio_estimate", month)) as path:
        estimates = pd.read_parquet(path).set_index("model")
    estimate = float(estimates.loc["sacnn", "estimate"])
    with storage.reading(month_file("ntl_clean", month)) as path:
        ntl, grid = read_band(path, 1)
        flag, _ = read_band(path, 2)
    with storage.reading(month_file("factory_patches", month)) as path:
        patches = read_patch_table(path)
    inside = np.isfinite(flag)
    landuse = region.landuse
    if landuse is not None:
        industrial = rasterize_landuse(landuse, grid) == LANDUSE_CLASSES.index(INDUSTRIAL)
        mask_rule = "EULUC class 301 (industrial) in landuse.geojson"
    else:
        industrial = np.zeros(grid.shape, bool)
        rows, cols = patches.factories["row"].to_numpy(), patches.factories["col"].to_numpy()
        ok = (rows >= 0) & (rows < grid.height) & (cols >= 0) & (cols < grid.width)
        industrial[rows[ok], cols[ok]] = True
        mask_rule = "pixels holding a factory (no land-use layer)"
    threshold = bright_threshold(patches.factories["ntl_factory"].to_numpy())
    result = distribute_estimate(estimate, ntl, industrial, inside, threshold)
    key = month_file("gvio_grid", month)
    with storage.writing(key) as tmp:
        write_cog(
            tmp,
            [result.gvio],
            grid,
            descriptions=["gvio"],
            tags={
                "month": month,
                "units": UNITS,
                "estimate": f"{estimate:.6f}",
                "model": "sacnn",
                "model_version": str(estimates.loc["sacnn", "model_version"]),
            },
        )
    with storage.reading(key) as path:
        stored, _ = read_band(path)
    stored_sum = float(np.nansum(stored.astype(np.float64)))
    meta = {
        "path": dg.MetadataValue.path(storage.uri(key)),
        "units": UNITS,
        "estimate": estimate,
        "grid_sum": stored_sum,
        "bright_threshold": result.threshold,
        "pixels_with_gvio": result.pixels_used,
        "pixels_bright_excluded": result.pixels_bright_excluded,
        "industrial_pixels_not_observed": result.pixels_not_observed,
        "spread_evenly_no_light": result.spread_evenly,
        "industrial_mask": mask_rule,
        "preview": gvio_map(storage, month, stored, grid, estimate),
    }
    return meta, estimate, stored_sum


def build_output_assets(partitions: dg.PartitionsDefinition, has_districts: bool, limits: Limits) -> list:
    common = dict(partitions_def=partitions, backfill_policy=dg.BackfillPolicy.single_run())

    @dg.asset(
        deps=["gvio_model", "factory_patches"],
        group_name="outputs",
        kinds={"torch", "pandas"},
        check_specs=monthly_specs(partitions, limits, ESTIMATE_PLAUSIBLE),
        code_version=code_digest("models"),
        **common,
    )
    def gvio_estimate(context: dg.AssetExecutionContext, storage: OutputStorage) -> Iterator[CheckedOutput]:
        """The month's industrial output (GVIO, 亿元) estimated by each model, with an uncertainty
        interval, for every month that has a composite, labelled or not. One row per model: `model`,
        `estimate`, `lower`, `upper`, `model_version`. `gvio_estimate/YYYY-MM.parquet`."""
        keys = context.partition_keys
        tables, version, unknown = estimate_months(storage, keys)
        for month, table in tables.items():
            key = month_file("gvio_estimate", month)
            with storage.writing(key) as tmp:
                table.to_parquet(tmp, index=False)
            by_model = table.set_index("model")
            context.add_asset_metadata(
                {
                    "path": dg.MetadataValue.path(storage.uri(key)),
                    "model_version": version,
                    **{f"{m}_estimate": float(by_model.loc[m, "estimate"]) for m in by_model.index},
                    "sacnn_lower": float(by_model.loc["sacnn", "lower"]),
                    "sacnn_upper": float(by_model.loc["sacnn", "upper"]),
                    "factories_unknown_to_model": int(unknown[month]),
                    "preview": dg.MetadataValue.md(table.round(2).to_markdown(index=False)),
                },
                partition_key=month,
            )
        context.log.info(f"gvio_estimate: {len(keys)} month(s) with model {version}")
        yield dg.MaterializeResult()
        yield from estimate_checks(context, storage, limits)

    @dg.asset(
        deps=["gvio_estimate", "ntl_clean", "factory_patches"],
        group_name="outputs",
        kinds={"rasterio"},
        check_specs=monthly_specs(partitions, limits, GRID_SUMS),
        code_version=code_digest("gridding.gvio_grid", "geo.landuse"),
        **common,
    )
    def gvio_grid(
        context: dg.AssetExecutionContext, region: RegionResource, storage: OutputStorage
    ) -> Iterator[CheckedOutput]:
        """The month's industrial output mapped on the native 15″ night-light grid (亿元 per pixel): the
        SA-CNN estimate spread over industrial land in proportion to its light, pixels brighter than the
        95th percentile of light at factories left out (commercial or residential light). The grid adds up
        to the estimate; the check `grid_sums_to_estimate` proves it for every month.
        Cloud-Optimized GeoTIFF, `gvio_grid/YYYY-MM.tif`; each month's `preview` is its map
        (also `previews/gvio_grid/YYYY-MM.png`)."""
        sums = {}
        for month in context.partition_keys:
            meta, estimate, stored_sum = grid_month(region, storage, month)
            context.add_asset_metadata(meta, partition_key=month)
            sums[month] = grid_sum(estimate, stored_sum)
        yield dg.MaterializeResult()
        yield from report_months(context, {GRID_SUMS: sums})

    assets = [gvio_estimate, gvio_grid]
    if has_districts:

        @dg.asset(
            deps=["gvio_grid"],
            group_name="outputs",
            kinds={"geopandas"},
            code_version=code_digest("geo.districts", "evaluation.validation"),
            **common,
        )
        def gvio_by_district(
            context: dg.AssetExecutionContext, region: RegionResource, storage: OutputStorage
        ) -> dg.MaterializeResult:
            """The month's GVIO grid summed per district (`districts.geojson`), 亿元: `district`, `gvio`.
            `gvio_by_district/YYYY-MM.parquet`."""
            districts = load_districts(region.config.districts_path)
            index = None
            for month in context.partition_keys:
                with storage.reading(month_file("gvio_grid", month)) as path:
                    grid_values, grid = read_band(path)
                if index is None:
                    index = district_index(districts, grid)
                sums = district_sums(grid_values.astype(np.float64), index, len(districts))
                table = pd.DataFrame({"district": districts["name"].astype(str), "gvio": sums})
                key = month_file("gvio_by_district", month)
                with storage.writing(key) as tmp:
                    table.to_parquet(tmp, index=False)
                context.add_asset_metadata(
                    {
                        "path": dg.MetadataValue.path(storage.uri(key)),
                        "districts": len(table),
                        "total": float(sums.sum()),
                        "table": dg.MetadataValue.md(table.round(2).to_markdown(index=False)),
                    },
                    partition_key=month,
                )
            return dg.MaterializeResult()

        assets.append(gvio_by_district)
    return assets
