"""The month's GVIO by district (`gvio_by_district`), for regions with a districts layer."""

import dagster as dg
import numpy as np
import pandas as pd

from sacnn_dagster.defs.common.monthly import monthly_asset_options
from sacnn_dagster.defs.resources.region import RegionResource
from sacnn_dagster.defs.resources.storage import OutputStorage
from sacnn_dagster.evaluation.validation import district_sums
from sacnn_dagster.geo.cog import read_band
from sacnn_dagster.geo.districts import district_index, load_districts
from sacnn_dagster.io.layout import month_file
from sacnn_dagster.versioning.versions import code_digest


def build_gvio_by_district(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        deps=["gvio_grid"],
        group_name="outputs",
        kinds={"geopandas"},
        code_version=code_digest("geo.districts", "evaluation.validation"),
        **monthly_asset_options(partitions, retry_transient=False),
    )
    def gvio_by_district(
        context: dg.AssetExecutionContext, region: RegionResource, storage: OutputStorage
    ) -> dg.MaterializeResult:
        """The month's industrial output (GVIO, 亿元) per district: the GVIO grid summed over each district
        of the region's `districts.geojson`, to compare with district statistics (the evaluation does, by
        year). Parquet, one row per district (`district`, `gvio`), `gvio_by_district/YYYY-MM.parquet`."""
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

    return gvio_by_district
