"""The month's GVIO grid (`gvio_grid`): the selected model's estimate on the pixel grid, through the
factories' shares or over the light of industrial land (`gridding.methods`)."""

from collections.abc import Iterator

import dagster as dg
import geopandas as gpd
import numpy as np
import pandas as pd

from sacnn_dagster.config.limits import Limits
from sacnn_dagster.defs.common.check_reporting import CheckedOutput, monthly_specs
from sacnn_dagster.defs.common.monthly import monthly_asset_options
from sacnn_dagster.defs.common.previews import gvio_map
from sacnn_dagster.defs.outputs.checks import GRID_SUMS, grid_checks
from sacnn_dagster.defs.resources.region import RegionResource
from sacnn_dagster.defs.resources.storage import OutputStorage
from sacnn_dagster.features.patch_table import read_patch_table
from sacnn_dagster.geo.cog import read_band, write_cog
from sacnn_dagster.gridding.industrial_mask import industrial_mask
from sacnn_dagster.gridding.methods import (
    DEFAULT_GRID_METHOD,
    FACTORIES,
    LIGHT,
    FactoryShares,
    make_grid,
    selected_model,
)
from sacnn_dagster.io.layout import month_file
from sacnn_dagster.versioning.versions import code_digest

UNITS = "亿元 (100 million yuan) per pixel"


def factory_shares(storage: OutputStorage, month: str, patches, selected: str) -> FactoryShares | None:
    """The month's factory shares on the grid: the selected model's own when it gives them, otherwise the
    first model's in `gvio_factory` (None without any)."""
    key = month_file("gvio_factory", month)
    if not storage.exists(key):
        return None
    with storage.reading(key) as path:
        table = pd.DataFrame(gpd.read_parquet(path).drop(columns="geometry"))
    if table.empty:
        return None
    model = selected if selected in set(table["model"]) else str(table["model"].iloc[0])
    rows = table[table["model"] == model]
    pixels = patches.factories.set_index("id")[["row", "col"]].reindex(rows["id"].astype(str))
    ok = pixels["row"].notna().to_numpy()
    return FactoryShares(
        rows["share"].to_numpy()[ok],
        pixels["row"].to_numpy()[ok].astype(np.int64),
        pixels["col"].to_numpy()[ok].astype(np.int64),
        model,
    )


def grid_month(
    region: RegionResource, storage: OutputStorage, month: str, method: str = DEFAULT_GRID_METHOD
) -> tuple[dict, float, float]:
    """Write one month's grid; returns metadata, the selected estimate and the stored grid's sum."""
    with storage.reading(month_file("gvio_estimate", month)) as path:
        estimates = pd.read_parquet(path)
    model = selected_model(estimates)
    estimates = estimates.set_index("model")
    estimate = float(estimates.loc[model, "estimate"])
    with storage.reading(month_file("ntl_clean", month)) as path:
        ntl, grid = read_band(path, 1)
        flag, _ = read_band(path, 2)
    with storage.reading(month_file("factory_patches", month)) as path:
        patches = read_patch_table(path)
    inside = np.isfinite(flag)
    industrial, mask_rule = industrial_mask(
        region.landuse, grid, patches.factories["row"].to_numpy(), patches.factories["col"].to_numpy()
    )
    shares = factory_shares(storage, month, patches, model) if method != LIGHT else None
    result, used = make_grid(
        method, estimate, ntl, industrial, inside, patches.factories["ntl_factory"].to_numpy(), shares
    )
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
                "model": model,
                "model_version": str(estimates.loc[model, "model_version"]),
                "grid_method": used,
                **({"factory_shares_model": shares.model} if used != LIGHT else {}),
            },
        )
    with storage.reading(key) as path:
        stored, _ = read_band(path)
    stored_sum = float(np.nansum(stored.astype(np.float64)))
    meta = {
        "path": dg.MetadataValue.path(storage.uri(key)),
        "units": UNITS,
        "model": model,
        "grid_method": used,
        "estimate": estimate,
        "grid_sum": stored_sum,
        **({"bright_threshold": result.threshold} if used != FACTORIES else {}),
        "pixels_with_gvio": result.pixels_used,
        "pixels_bright_excluded": result.pixels_bright_excluded,
        "industrial_pixels_not_observed": result.pixels_not_observed,
        "spread_evenly_no_light": result.spread_evenly,
        "industrial_mask": mask_rule,
        **({"factory_shares_model": shares.model} if used != LIGHT else {}),
        "preview": gvio_map(storage, month, stored, grid, estimate),
    }
    return meta, estimate, stored_sum


def build_gvio_grid(partitions: dg.PartitionsDefinition, limits: Limits) -> dg.AssetsDefinition:
    @dg.asset(
        deps=["gvio_estimate", "gvio_factory", "ntl_clean", "factory_patches"],
        group_name="outputs",
        kinds={"rasterio"},
        check_specs=monthly_specs(partitions, limits, GRID_SUMS),
        code_version=code_digest("gridding", "geo.landuse"),
        **monthly_asset_options(partitions, retry_transient=False),
    )
    def gvio_grid(
        context: dg.AssetExecutionContext, region: RegionResource, storage: OutputStorage
    ) -> Iterator[CheckedOutput]:
        """The month's industrial output mapped on the native 15″ night-light grid (亿元 per pixel),
        carrying the estimate of the selected model (`selected` in `gvio_estimate`; SA-CNN where the
        estimates do not say), named in the file's `model` tag. Spread by the method named in the
        `grid_method` tag: by default `blend`, half the estimate by each of the two others, which on
        generated regions matched district-year totals better than either; `factories` puts each
        factory's share of the month (from `gvio_factory`) on the pixel that holds it; `light`, the
        paper's, spreads the estimate over industrial land in proportion to its light, pixels brighter than
        the 95th percentile of light at factories left out (commercial or residential light), and is used
        alone in a month without factory shares. The grid adds up to the estimate; the check
        `grid_sums_to_estimate` proves it for every month.
        Cloud-Optimized GeoTIFF, `gvio_grid/YYYY-MM.tif`; each month's `preview` is its map
        (also `previews/gvio_grid/YYYY-MM.png`)."""
        estimate_and_sum = {}
        for month in context.partition_keys:
            meta, estimate, stored_sum = grid_month(region, storage, month)
            context.add_asset_metadata(meta, partition_key=month)
            estimate_and_sum[month] = (estimate, stored_sum)
        yield dg.MaterializeResult()
        yield from grid_checks(context, estimate_and_sum)

    return gvio_grid
