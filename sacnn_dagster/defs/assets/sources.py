"""Source assets: the month's night-light composite and the published statistics."""

from collections.abc import Iterator

import dagster as dg
import numpy as np

from sacnn_dagster.config.limits import Limits
from sacnn_dagster.defs.assets.monthly import TRANSIENT_RETRY, materialize_months
from sacnn_dagster.defs.checks import (
    COMPOSITE_COVERAGE,
    COMPOSITE_VALID,
    CheckedOutput,
    composite_checks,
    monthly_specs,
)
from sacnn_dagster.defs.resources import RegionResource
from sacnn_dagster.defs.storage import OutputStorage
from sacnn_dagster.features.statistics import parse_statistics
from sacnn_dagster.geo.cog import write_cog
from sacnn_dagster.io.layout import STATISTICS_FILE, month_file
from sacnn_dagster.versioning.versions import code_digest, content_digest, range_data_version


def composite_month(region: RegionResource, storage: OutputStorage, month: str) -> dict:
    """Pick, read, clip and store one month's composite; return its metadata."""
    fetched = region.nightlights.fetch(month, region.boundary)
    composite = fetched.composite
    names = [f.rsplit("/", 1)[-1] for f in fetched.source_files]
    inside = np.isfinite(composite.radiance)
    has_coverage = bool(np.isfinite(composite.coverage[inside]).any())
    key = month_file("ntl_composite", month)
    with storage.writing(key) as tmp:
        write_cog(
            tmp,
            [composite.radiance, composite.coverage],
            composite.grid,
            descriptions=["avg_rade9h", "cf_cvg"],
            tags={
                "month": month,
                "units": "nW/cm2/sr (band 1); cloud-free observations (band 2)",
                "source_files": ";".join(names),
                "source_version": fetched.version,
                **{k: v for k, v in fetched.details.items() if k != "alternatives_not_chosen"},
            },
        )
    pixels = int(inside.sum())
    return {
        "path": dg.MetadataValue.path(storage.uri(key)),
        "source_file": ", ".join(fetched.source_files),
        "version": fetched.version,
        **fetched.details,
        "pixel_count": pixels,
        "mean_radiance": float(np.nanmean(composite.radiance)),
        "share_not_observed": float((composite.coverage[inside] == 0).mean()) if has_coverage else None,
        "coverage_published": has_coverage,
    }


def build_source_assets(partitions: dg.PartitionsDefinition, limits: Limits) -> list:
    @dg.asset(
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        retry_policy=TRANSIENT_RETRY,
        group_name="sources",
        kinds={"rasterio"},
        code_version=code_digest(
            "nightlights.composite_reader", "nightlights.eog_names", "nightlights.black_marble_tiles"
        ),
        check_specs=monthly_specs(partitions, limits, COMPOSITE_VALID, COMPOSITE_COVERAGE),
    )
    def ntl_composite(
        context: dg.AssetExecutionContext, region: RegionResource, storage: OutputStorage
    ) -> Iterator[CheckedOutput]:
        """The month's VIIRS night-light composite (EOG VNL v1 monthly, avg_rade9h) clipped to the area of
        interest, with the cloud-free coverage count as band 2. When several files exist for a month, the
        region's satellite and configuration preference, then the newest processing stamp, decide; the
        metadata says which file was used and what was passed over. Cloud-Optimized GeoTIFF,
        `ntl_composite/YYYY-MM.tif`."""
        metas = materialize_months(
            context, lambda month: composite_month(region, storage, month), lambda meta: meta["source_file"]
        )
        # the source's version of the month (processing stamp, chosen file): what the sensors compare
        yield dg.MaterializeResult(
            data_version=dg.DataVersion(range_data_version(context.partition_keys, [m["version"] for m in metas]))
        )
        yield from composite_checks(context, region, storage, limits)

    @dg.asset(group_name="sources", kinds={"pandas"}, code_version=code_digest("features.statistics"))
    def gvio_statistics(region: RegionResource, storage: OutputStorage) -> dg.MaterializeResult:
        """The published monthly industrial output (GVIO, 亿元) used as labels, one row per published
        value. A combined January-February release stays one row covering two months (it is never split
        evenly). `gvio_statistics/gvio_monthly.parquet`."""
        path = region.statistics_file()
        table = parse_statistics(path)
        with storage.writing(STATISTICS_FILE) as tmp:
            table.to_parquet(tmp, index=False)
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(storage.uri(STATISTICS_FILE)),
                "published_values": len(table),
                "months_covered": int(table["n_months"].sum()),
                "combined_releases": int((table["n_months"] > 1).sum()),
                "first_month": table["first_month"].min() if len(table) else None,
                "last_month": table["last_month"].max() if len(table) else None,
                "preview": dg.MetadataValue.md(table.tail(12).to_markdown(index=False)),
            },
            # the file's content, so that a revised value (not a touched file) makes the model stale
            data_version=dg.DataVersion(content_digest(path)),
        )

    return [ntl_composite, gvio_statistics]
