"""Feature assets: cleaned night lights, factory points and factory patches."""

import hashlib
from collections.abc import Iterator

import dagster as dg
import geopandas as gpd
import numpy as np

from sacnn_dagster.config.limits import Limits
from sacnn_dagster.defs.assets.monthly import TRANSIENT_RETRY, materialize_months
from sacnn_dagster.defs.assets.previews import ntl_map
from sacnn_dagster.defs.checks import (
    FACTORY_COUNT,
    PATCHES_COMPLETE,
    CheckedOutput,
    factory_checks,
    monthly_specs,
    patch_checks,
)
from sacnn_dagster.defs.resources import RegionResource
from sacnn_dagster.defs.storage import OutputStorage
from sacnn_dagster.features.cleaning import clean_ntl
from sacnn_dagster.features.patch_table import write_patch_table
from sacnn_dagster.features.patches import extract_patches, zone_statistics
from sacnn_dagster.features.pois import extract_factories, read_snapshot, snapshot_for_month
from sacnn_dagster.geo.cog import read_band, write_cog
from sacnn_dagster.geo.landuse import NO_CLASS, rasterize_landuse
from sacnn_dagster.io.layout import month_file, quarantine_file
from sacnn_dagster.versioning.versions import code_digest, range_data_version


def finite_mean(values: np.ndarray) -> float | None:
    """Mean of the finite values; None when there are none (a month with nothing observed)."""
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else None


def clean_month(storage: OutputStorage, month: str) -> dict:
    with storage.reading(month_file("ntl_composite", month)) as path:
        radiance, grid = read_band(path, 1)
        coverage, _ = read_band(path, 2)
    cleaned = clean_ntl(radiance, coverage)
    key = month_file("ntl_clean", month)
    with storage.writing(key) as tmp:
        write_cog(
            tmp,
            [cleaned.radiance, np.where(np.isfinite(radiance), cleaned.not_observed, np.nan)],
            grid,
            descriptions=["radiance_clean", "not_observed"],
            tags={"month": month, "units": "nW/cm2/sr (band 1); 1 = no cloud-free observation (band 2)"},
        )
    observed = np.isfinite(cleaned.radiance)
    return {
        "path": dg.MetadataValue.path(storage.uri(key)),
        "negatives_zeroed": cleaned.negatives_zeroed,
        "outliers_replaced": cleaned.outliers_replaced,
        "pixels_not_observed": int(cleaned.not_observed.sum()),
        "pixels_observed": int(observed.sum()),
        "mean_radiance": finite_mean(cleaned.radiance),
        "sum_radiance": float(np.nansum(cleaned.radiance)),
        "max_radiance": float(np.nanmax(cleaned.radiance)) if observed.any() else None,
        "preview": ntl_map(storage, month, cleaned, grid),
    }


def factories_month(region: RegionResource, storage: OutputStorage, month: str) -> dict:
    found = snapshot_for_month(region.poi_snapshots(), month)
    if found is None:
        raise ValueError(f"{month}: no POI snapshot in {region.pois_location} (snapshots are named YYYY-MM.csv)")
    snapshot_month, name, from_later = found
    path = region.poi_snapshot_file(name)
    cfg = region.config
    extraction = extract_factories(read_snapshot(path), cfg.factory_typecodes, cfg.poi_crs, region.boundary)
    factories = extraction.factories.assign(snapshot=snapshot_month)
    key = month_file("factories", month)
    with storage.writing(key) as tmp:
        factories.to_parquet(tmp, index=False)
    meta = {
        "path": dg.MetadataValue.path(storage.uri(key)),
        "snapshot": snapshot_month,
        "snapshot_after_month": from_later,
        "snapshot_file": f"{region.pois_location.rstrip('/')}/{name}",
        "snapshot_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "poi_crs": cfg.poi_crs,
        **extraction.counts,
    }
    if len(extraction.rejected):
        qkey = quarantine_file(snapshot_month)
        with storage.writing(qkey) as tmp:
            extraction.rejected.sort_values("line", kind="stable").to_csv(tmp, index=False)
        meta["quarantine"] = dg.MetadataValue.path(storage.uri(qkey))
    meta["preview"] = dg.MetadataValue.md(factories.drop(columns="geometry").head(10).to_markdown(index=False))
    return meta


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


def build_feature_assets(partitions: dg.PartitionsDefinition, limits: Limits) -> list:
    common = dict(
        partitions_def=partitions, backfill_policy=dg.BackfillPolicy.single_run(), retry_policy=TRANSIENT_RETRY
    )

    @dg.asset(
        deps=["ntl_composite"],
        group_name="features",
        kinds={"rasterio"},
        code_version=code_digest("features.cleaning"),
        **common,
    )
    def ntl_clean(context: dg.AssetExecutionContext, storage: OutputStorage) -> dg.MaterializeResult:
        """The month's night light ready for sampling: negative radiance set to 0, pixels above
        262 nW/cm²/sr replaced by their 5×5 neighbourhood mean, and pixels without any
        cloud-free observation marked as *not observed* (NaN, band 2 = 1) rather than dark.
        Cloud-Optimized GeoTIFF, `ntl_clean/YYYY-MM.tif`; each month's `preview` is its map
        (also `previews/ntl_clean/YYYY-MM.png`)."""
        materialize_months(context, lambda month: clean_month(storage, month))
        return dg.MaterializeResult()

    @dg.asset(
        group_name="features",
        kinds={"geopandas"},
        check_specs=monthly_specs(partitions, limits, FACTORY_COUNT),
        code_version=code_digest("features.pois"),
        **common,
    )
    def factories(
        context: dg.AssetExecutionContext, region: RegionResource, storage: OutputStorage
    ) -> Iterator[CheckedOutput]:
        """Factories in force for the month: the newest POI snapshot not after the month (before the first
        snapshot, the earliest one, flagged in the metadata), filtered to the
        region's factory type codes (Amap 1703xx by default), converted from GCJ-02 to WGS84, duplicates
        merged and points outside the area of interest dropped. Every dropped or malformed row is counted
        in the metadata and kept in `quarantine/pois/`. GeoParquet in WGS84 with the POI `id`,
        `factories/YYYY-MM.parquet`."""
        metas = materialize_months(
            context,
            lambda month: factories_month(region, storage, month),
            lambda meta: f"{meta['factories']} from snapshot {meta['snapshot']}",
        )
        early = [
            month for month, meta in zip(context.partition_keys, metas, strict=True) if meta["snapshot_after_month"]
        ]
        if early:
            context.log.warning(f"factories {', '.join(early)}: no snapshot this early, used the earliest one")
        # the snapshot in force (its sha256): a revised snapshot makes the months it applies to stale
        yield dg.MaterializeResult(
            data_version=dg.DataVersion(
                range_data_version(context.partition_keys, [m["snapshot_sha256"] for m in metas])
            )
        )
        yield from factory_checks(context, storage, limits)

    @dg.asset(
        deps=["ntl_clean", "factories"],
        group_name="features",
        kinds={"numpy"},
        check_specs=monthly_specs(partitions, limits, PATCHES_COMPLETE),
        code_version=code_digest("features.patches", "features.patch_table", "geo.landuse"),
        **common,
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

    return [ntl_clean, factories, factory_patches]
