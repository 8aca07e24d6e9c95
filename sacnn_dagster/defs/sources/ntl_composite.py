"""The month's night-light composite (`ntl_composite`), the first step of every month."""

from collections.abc import Iterator

import dagster as dg
import numpy as np

from sacnn_dagster.config.limits import Limits
from sacnn_dagster.defs.common.check_reporting import CheckedOutput, monthly_specs
from sacnn_dagster.defs.common.monthly import materialize_months, monthly_asset_options
from sacnn_dagster.defs.resources.region import RegionResource
from sacnn_dagster.defs.resources.storage import OutputStorage
from sacnn_dagster.defs.sources.checks import (
    COMPOSITE_COVERAGE,
    COMPOSITE_FILES_READABLE,
    COMPOSITE_VALID,
    composite_checks,
)
from sacnn_dagster.geo.cog import write_cog
from sacnn_dagster.io.layout import month_file
from sacnn_dagster.versioning.versions import code_digest, range_data_version


def composite_month(
    region: RegionResource, storage: OutputStorage, month: str, broken: dict[str, dict[str, str]] | None = None
) -> dict:
    """Pick, read, clip and store one month's composite; return its metadata. Newer files passed over
    because they could not be read go into `broken[month]` (for the warning check) and the metadata."""
    fetched = region.nightlights.fetch(month, region.boundary)
    if broken is not None:
        broken[month] = fetched.broken_files
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
                **{k: v for k, v in fetched.details.items() if k not in NOT_TAGGED},
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


#: Details of the fetch kept out of the file's tags: they describe the files not used, not this one.
NOT_TAGGED = ("alternatives_not_chosen", "broken_files_passed_over")


def build_ntl_composite(
    partitions: dg.PartitionsDefinition, limits: Limits, pool: str | None = None
) -> dg.AssetsDefinition:
    """`pool`: the Dagster concurrency pool of the source's host (config/pools.py), None for a local folder."""

    @dg.asset(
        group_name="sources",
        pool=pool,
        kinds={"rasterio"},
        code_version=code_digest(
            "nightlights.composite_reader", "nightlights.eog_names", "nightlights.black_marble_tiles"
        ),
        check_specs=monthly_specs(partitions, limits, COMPOSITE_VALID, COMPOSITE_COVERAGE, COMPOSITE_FILES_READABLE),
        **monthly_asset_options(partitions, retry_transient=True),
    )
    def ntl_composite(
        context: dg.AssetExecutionContext, region: RegionResource, storage: OutputStorage
    ) -> Iterator[CheckedOutput]:
        """The month's VIIRS night-light composite, as the source publishes it (EOG VNL monthly avg_rade9h,
        or NASA Black Marble VNP46A3, from the region's `nightlights:` source), clipped to the area of
        interest, with the count of cloud-free observations as band 2. When several files exist for a month,
        the region's satellite and configuration preference, then the newest processing stamp, decide; the
        metadata says which file was used and what was passed over (a newer file that cannot be read, such as a
        truncated download, is passed over for the older version and reported: `broken_files_passed_over`,
        and the warning check `composite_files_readable`). Cloud-Optimized GeoTIFF,
        `ntl_composite/YYYY-MM.tif`."""
        broken: dict[str, dict[str, str]] = {}
        metas = materialize_months(
            context, lambda month: composite_month(region, storage, month, broken), lambda meta: meta["source_file"]
        )
        # the source's version of the month (processing stamp, chosen file): what the sensors compare
        yield dg.MaterializeResult(
            data_version=dg.DataVersion(range_data_version(context.partition_keys, [m["version"] for m in metas]))
        )
        yield from composite_checks(context, region, storage, limits, broken)

    return ntl_composite
