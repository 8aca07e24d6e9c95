"""The month's cleaned night light (`ntl_clean`), what the factory patches and the grid sample."""

import dagster as dg
import numpy as np

from sacnn_dagster.defs.common.metadata_values import finite_mean
from sacnn_dagster.defs.common.monthly import materialize_months, monthly_asset_options
from sacnn_dagster.defs.common.previews import ntl_map
from sacnn_dagster.defs.resources.storage import OutputStorage
from sacnn_dagster.features.cleaning import clean_ntl
from sacnn_dagster.geo.cog import read_band, write_cog
from sacnn_dagster.io.layout import month_file
from sacnn_dagster.versioning.versions import code_digest


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


def build_ntl_clean(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        deps=["ntl_composite"],
        group_name="features",
        kinds={"rasterio"},
        code_version=code_digest("features.cleaning"),
        **monthly_asset_options(partitions, retry_transient=True),
    )
    def ntl_clean(context: dg.AssetExecutionContext, storage: OutputStorage) -> dg.MaterializeResult:
        """The month's night light ready for sampling: negative radiance set to 0, pixels above
        262 nW/cm²/sr replaced by their 5×5 neighbourhood mean, and pixels without any
        cloud-free observation marked as *not observed* (NaN, band 2 = 1) rather than dark.
        Cloud-Optimized GeoTIFF, `ntl_clean/YYYY-MM.tif`; each month's `preview` is its map
        (also `previews/ntl_clean/YYYY-MM.png`)."""
        materialize_months(context, lambda month: clean_month(storage, month))
        return dg.MaterializeResult()

    return ntl_clean
