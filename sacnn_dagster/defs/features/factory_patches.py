"""The month's factory patches (`factory_patches`): what the model sees of every factory."""

from collections.abc import Iterator

import dagster as dg
import geopandas as gpd
import numpy as np

from sacnn_dagster.config.limits import Limits
from sacnn_dagster.defs.common.check_reporting import CheckedOutput, monthly_specs
from sacnn_dagster.defs.common.metadata_values import finite_mean
from sacnn_dagster.defs.common.monthly import materialize_months, monthly_asset_options
from sacnn_dagster.defs.features.checks import PATCHES_COMPLETE, patch_checks
from sacnn_dagster.defs.resources.region import RegionResource
from sacnn_dagster.defs.resources.storage import OutputStorage
from sacnn_dagster.features.patch_table import write_patch_table
from sacnn_dagster.features.patches import extract_patches, zone_statistics
from sacnn_dagster.geo.cog import read_band
from sacnn_dagster.geo.landuse import NO_CLASS, rasterize_landuse
from sacnn_dagster.io.layout import month_file
from sacnn_dagster.versioning.versions import code_digest


def patches_month(region: RegionResource, storage: OutputStorage, month: str) -> dict:
    with storage.reading(month_file("ntl_clean", month)) as path:
        ntl, grid = read_band(path, 1)
    with storage.reading(month_file("factories", month)) as path:
        factories = gpd.read_parquet(path)
    landuse = region.landuse
    landuse_index = rasterize_landuse(landuse, grid)
    if landuse is not None:
        urban = landuse_index != NO_CLASS
        urban_rule = "covered by a land-use parcel"
    else:
        urban = ntl >= region.config.urban_threshold
        urban_rule = f"radiance >= {region.config.urban_threshold}"
    lng, lat = factories.geometry.x.to_numpy(), factories.geometry.y.to_numpy()
    patches = extract_patches(ntl, landuse_index, grid, lng, lat, region.config.buffer_m)
    zones = zone_statistics(ntl, urban)
    info = {
        "month": month,
        "buffer_m": region.config.buffer_m,
        "grid_transform": list(grid.transform)[:6],
        "urban_rule": urban_rule,
        **zones,
    }
    key = month_file("factory_patches", month)
    with storage.writing(key) as tmp:
        write_patch_table(tmp, factories["id"].to_numpy(), lng, lat, patches, info)
    f = patches.features
    return {
        "path": dg.MetadataValue.path(storage.uri(key)),
        "factories": len(factories),
        "patch_shape": f"{patches.windows.shape[1]} x {patches.windows.shape[2]} pixels",
        "factories_without_observation": int(np.isnan(f["ntl_buffer_sum"]).sum()),
        "mean_ntl_factory": finite_mean(f["ntl_factory"]),
        "share_factory_above_20": finite_mean(f["factory_above_20"]),
        "share_bright_neighbour": finite_mean(f["bright_neighbour"]),
        **{k: (v if np.isfinite(v) else None) for k, v in zones.items()},
        "urban_rule": urban_rule,
        "landuse_polygons_unknown_class": landuse.unknown_class_polygons if landuse is not None else None,
    }


def build_factory_patches(partitions: dg.PartitionsDefinition, limits: Limits) -> dg.AssetsDefinition:
    @dg.asset(
        deps=["ntl_clean", "factories"],
        group_name="features",
        kinds={"numpy"},
        check_specs=monthly_specs(partitions, limits, PATCHES_COMPLETE),
        code_version=code_digest("features.patches", "features.patch_table", "geo.landuse"),
        **monthly_asset_options(partitions, retry_transient=True),
    )
    def factory_patches(
        context: dg.AssetExecutionContext, region: RegionResource, storage: OutputStorage
    ) -> Iterator[CheckedOutput]:
        """What the model sees for the month: for every factory, the cleaned night light inside its buffer
        zone (region's `buffer_m`, 1500 m by default) and the SA-CNN features (factory-pixel light, buffer
        maximum, bright-neighbour flag, light summed per land-use class, dominant class), plus the month's
        urban and rural light statistics. Parquet, one row per factory, `factory_patches/YYYY-MM.parquet`."""
        materialize_months(
            context, lambda month: patches_month(region, storage, month), lambda meta: f"{meta['factories']} factories"
        )
        yield dg.MaterializeResult()
        yield from patch_checks(context, storage)

    return factory_patches
