"""The checks of the month's night-light composite: valid radiance and coverage (blocking), enough of the
area seen cloud-free (a warning)."""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
from rasterio.features import geometry_mask

from sacnn_dagster.config.limits import Limits
from sacnn_dagster.defs.common.check_reporting import Check, report_months
from sacnn_dagster.defs.resources.region import RegionResource
from sacnn_dagster.defs.resources.storage import OutputStorage
from sacnn_dagster.geo.cog import read_band
from sacnn_dagster.io.layout import month_file
from sacnn_dagster.quality.composite import (
    NOISE_FLOOR,
    RADIANCE_RANGE,
    composite_coverage,
    composite_files_readable,
    composite_quality,
    composite_valid,
)

COMPOSITE_VALID = Check(
    "composite_valid",
    "ntl_composite",
    True,
    lambda limits: (
        f"Radiance covers the area (at most {limits.max_share_without_radiance:.0%} without a value) "
        f"and lies in the physical range {RADIANCE_RANGE[0]:g}..{RADIANCE_RANGE[1]:g} nW/cm²/sr, rare noise down to "
        f"{NOISE_FLOOR:g} aside (cleaning sets it to 0); cf_cvg counts are valid where there is radiance. Blocking: "
        "a fill value or a wrong scale would be cleaned, sampled and mapped as light."
    ),
)
COMPOSITE_COVERAGE = Check(
    "composite_coverage",
    "ntl_composite",
    False,
    lambda limits: (
        f"At least {limits.min_share_observed:.0%} of the area was seen cloud-free (cf_cvg > 0). A "
        "warning: below it the month's features come mostly from neighbouring months (monsoon months stay above it)."
    ),
)

COMPOSITE_FILES_READABLE = Check(
    "composite_files_readable",
    "ntl_composite",
    False,
    lambda limits: (
        "Every file of the month's newest composite could be read. A warning: a newer file that could not "
        "(zero bytes, truncated) was passed over for the older version, which was used; download it again."
    ),
)


def composite_checks(
    context: dg.AssetExecutionContext,
    region: RegionResource,
    storage: OutputStorage,
    limits: Limits,
    broken: dict[str, dict[str, str]],
) -> Iterator[dg.AssetCheckEvaluation | dg.Output]:
    """The checks of the months just stored; `broken`: month -> the newer files passed over (file -> why)."""
    valid, coverage = {}, {}
    for month in context.partition_keys:
        with storage.reading(month_file("ntl_composite", month)) as path:
            radiance, grid = read_band(path, 1)
            cover, _ = read_band(path, 2)
        # the area as the readers clip it: pixel centres inside the boundary
        inside = geometry_mask([region.boundary], out_shape=grid.shape, transform=grid.transform, invert=True)
        measured = composite_quality(radiance, cover, inside)
        valid[month] = composite_valid(measured, limits)
        coverage[month] = composite_coverage(measured, limits)
    readable = {month: composite_files_readable(broken.get(month, {})) for month in context.partition_keys}
    yield from report_months(
        context, {COMPOSITE_VALID: valid, COMPOSITE_COVERAGE: coverage, COMPOSITE_FILES_READABLE: readable}
    )
