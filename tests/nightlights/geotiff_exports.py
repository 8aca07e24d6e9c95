"""The small demo's composites re-published as Google Earth Engine would export them: one two-band GeoTIFF per
month (`avg_rad`, `cf_cvg` as band descriptions), named `YYYY-MM.tif`, on the composites' own lattice, cut a
few pixels wider than the area, no EOG name anywhere."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import rasterio
import shapely
import yaml

from sacnn_dagster.config.region import load_region
from sacnn_dagster.defs.resources import CredentialsResource, RegionResource
from sacnn_dagster.geo.grid import Grid

#: Pixels of margin around the area's window, filled with a value the area must never see.
MARGIN = 4
MARGIN_VALUE = 777.0


def write_export(path: Path, grid: Grid, radiance: np.ndarray, coverage: np.ndarray, crs: str = "EPSG:4326") -> None:
    """A two-band float32 GeoTIFF as Earth Engine writes one (band descriptions, no nodata value: NaN is NaN)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    profile = dict(
        driver="GTiff",
        width=grid.width,
        height=grid.height,
        count=2,
        dtype="float32",
        crs=crs,
        transform=grid.transform,
        compress="deflate",
    )
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(radiance.astype(np.float32), 1)
        ds.write(coverage.astype(np.float32), 2)
        ds.set_band_description(1, "avg_rad")
        ds.set_band_description(2, "cf_cvg")


def padded(grid: Grid, *arrays: np.ndarray) -> tuple[Grid, list[np.ndarray]]:
    wider = Grid(
        grid.west - MARGIN * grid.res,
        grid.north + MARGIN * grid.res,
        grid.res,
        grid.width + 2 * MARGIN,
        grid.height + 2 * MARGIN,
    )
    return wider, [np.pad(a, MARGIN, constant_values=MARGIN_VALUE) for a in arrays]


def export_region(region: Path, folder: Path) -> dict[str, Path]:
    """Every month the region's EOG folder has, exported to `folder` as `YYYY-MM.tif`; month -> file."""
    resource = RegionResource(path=str(region), credentials=CredentialsResource())
    source = resource.nightlights
    out = {}
    for month in source.available_months():
        fetched = source.fetch(month, resource.boundary)
        grid, (radiance, coverage) = padded(
            fetched.composite.grid, fetched.composite.radiance, fetched.composite.coverage
        )
        out[month] = folder / f"{month}.tif"
        write_export(out[month], grid, radiance, coverage)
    return out


def geotiff_region(region: Path, target: Path, exports: str = "ee-exports", **nightlights) -> Path:
    """A copy of the region without its EOG folder, whose region.yaml reads the exports under `exports`."""
    shutil.copytree(region, target, ignore=shutil.ignore_patterns("nightlights"))
    export_region(region, target / exports)
    spec = yaml.safe_load((target / "region.yaml").read_text())
    spec["nightlights"] = {
        "source": "geotiff",
        "url": exports,
        "pattern": "{YYYY}-{MM}.tif",
        "radiance_band": "avg_rad",
        "coverage_band": "cf_cvg",
        **nightlights,
    }
    (target / "region.yaml").write_text(yaml.safe_dump(spec))
    load_region(target)  # the schema takes it
    assert shapely.box(*RegionResource(path=str(target), credentials=CredentialsResource()).boundary.bounds)
    return target


def rewrite(path: Path, change) -> None:
    """The month exported again: same name, its grid, bands or CRS changed by `change(grid, radiance,
    coverage, crs)`."""
    with rasterio.open(path) as ds:
        grid = Grid.from_transform(ds.transform, ds.width, ds.height)
        radiance, coverage = ds.read(1), ds.read(2)
        crs = ds.crs.to_string()
    grid, radiance, coverage, crs = change(grid, radiance, coverage, crs)
    write_export(path, grid, radiance, coverage, crs)


def brighter(grid: Grid, radiance: np.ndarray, coverage: np.ndarray, crs: str):
    """A re-export with every radiance inside the margin half as bright again (a corrected month)."""
    radiance = radiance.copy()
    radiance[np.isfinite(radiance) & (radiance != MARGIN_VALUE)] *= 1.5
    return grid, radiance, coverage, crs
