"""Turn the real Mumbai VIIRS cube (tests/data/mumbai-viirs-monthly, MIT, from xKDR/NighttimeLights.jl)
into a region folder following the inputs contract: one EOG-named GeoTIFF pair per month.

The cube's quirks, handled as its README says: bands 8 and 9 both carry 2012-11 and are identical, so the
month is written once (a differing duplicate would be an error, not a silent choice); monsoon months have
almost no cloud-free observations, which the cf_cvg files carry through to the pipeline.
Mumbai has no Amap POIs: a small synthetic WGS84 snapshot (seeded, inside the districts) stands in so the
factory assets have something to sample; the night lights are the real data.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import shapely

DATA = Path(__file__).parent / "data" / "mumbai-viirs-monthly"
RADIANCE = f"netcdf:{DATA / 'mumbai_radiance.nc'}:unnamed"
CLOUDS = f"netcdf:{DATA / 'mumbai_clouds.nc'}:unnamed"


def band_months(ds) -> list[str]:
    days = ds.tags()["NETCDF_DIM_time_VALUES"].strip("{}").split(",")
    return [(date(1900, 1, 1) + timedelta(days=int(d))).strftime("%Y-%m") for d in days]


def eog_name(month: str, stamp: str, layer: str) -> str:
    y, m = (int(x) for x in month.split("-"))
    last = calendar.monthrange(y, m)[1]
    return f"SVDNB_npp_{y}{m:02d}01-{y}{m:02d}{last:02d}_75N060E_vcmcfg_v10_c{stamp}.{layer}.tif"


def build_mumbai_region(root: Path, months: set[str] | None = None) -> dict:
    """Write the region; returns facts about the conversion (duplicates found, months written)."""
    root.mkdir(parents=True, exist_ok=True)
    written, duplicates = [], []
    with rasterio.open(RADIANCE) as rad, rasterio.open(CLOUDS) as cld:
        labels = band_months(rad)
        assert labels == band_months(cld), "radiance and cloud cubes disagree on band dates"
        profile = dict(
            driver="GTiff",
            width=rad.width,
            height=rad.height,
            count=1,
            crs="EPSG:4326",
            transform=rad.transform,
            compress="deflate",
        )
        first_band: dict[str, int] = {}
        for band, month in enumerate(labels, start=1):
            radiance = rad.read(band)
            if month in first_band:
                if not np.array_equal(radiance, rad.read(first_band[month])):
                    raise ValueError(f"band {band} repeats month {month} with different values")
                duplicates.append((month, first_band[month], band))
                continue
            first_band[month] = band
            if months is not None and month not in months:
                continue
            y, m = (int(x) for x in month.split("-"))
            stamp = f"{y + (m == 12):04d}{m % 12 + 1:02d}15{1200:04d}"
            folder = root / "nightlights" / str(y) / f"{y}{m:02d}" / "vcmcfg"
            folder.mkdir(parents=True, exist_ok=True)
            with rasterio.open(folder / eog_name(month, stamp, "avg_rade9h"), "w", dtype="float32", **profile) as dst:
                dst.write(radiance.astype(np.float32), 1)
            with rasterio.open(
                folder / eog_name(month, stamp, "cf_cvg"), "w", dtype="uint16", nodata=65535, **profile
            ) as dst:
                dst.write(cld.read(band), 1)
            written.append(month)

    districts = gpd.read_file(DATA / "mumbai_districts.shp").to_crs(4326)
    districts = districts.rename(columns={"DISTRICT": "name"})[["name", "geometry"]]
    districts.to_file(root / "districts.geojson", driver="GeoJSON")
    area = shapely.union_all(districts.geometry.values)
    gpd.GeoDataFrame(geometry=[area], crs=4326).to_file(root / "boundary.geojson", driver="GeoJSON")

    rng = np.random.default_rng(7)
    w, s, e, n = area.bounds
    pts = []
    while len(pts) < 25:
        x, y = rng.uniform(w, e), rng.uniform(s, n)
        if area.contains(shapely.Point(x, y)):
            pts.append((x, y))
    (root / "pois").mkdir(exist_ok=True)
    lines = ["id,name,type,typecode,address,location,pname,cityname,adname"]
    lines += [
        f'F{i:04d},Works {i},公司企业;工厂;工厂,170300,,"{x:.6f},{y:.6f}",Maharashtra,Mumbai,Mumbai'
        for i, (x, y) in enumerate(pts)
    ]
    (root / "pois" / f"{min(first_band)}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "statistics").mkdir(exist_ok=True)
    (root / "statistics" / "gvio_monthly.csv").write_text("month,gvio\n", encoding="utf-8")
    (root / "region.yaml").write_text(
        f"name: mumbai\nstart: '{min(first_band)}'\nend: '{max(first_band)}'\npoi_crs: wgs84\n", encoding="utf-8"
    )
    return {"months": written, "duplicates": duplicates, "all_months": sorted(first_band)}
