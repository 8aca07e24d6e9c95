"""The night-light source region.yaml's `nightlights:` block names, behind one interface."""

from __future__ import annotations

from pathlib import Path

from sacnn_dagster.io.cache import CacheSettings
from sacnn_dagster.io.credentials import Credentials
from sacnn_dagster.io.input_folder import LocalFolder
from sacnn_dagster.io.open_folder import open_input_folder
from sacnn_dagster.nightlights.black_marble import BlackMarbleSource
from sacnn_dagster.nightlights.eog_http import EogHttpSource
from sacnn_dagster.nightlights.geotiff_source import GeoTiffSource
from sacnn_dagster.nightlights.source import EogNamedSource, NightlightSource


def open_nightlight_source(
    settings,
    region_root: Path,
    satellites: tuple[str, ...],
    configs: tuple[str, ...],
    aoi_bounds: tuple[float, float, float, float],
    credentials: Credentials | None = None,
    cache: CacheSettings | None = None,
    s3_endpoint_url: str | None = None,
) -> NightlightSource:
    """The source named by region.yaml's `nightlights:` settings (a `NightlightSettings`)."""
    credentials = credentials or Credentials()
    kind = settings.source
    if kind == "local":
        folder = Path(settings.url) if settings.url else region_root / "nightlights"
        if not folder.is_absolute():
            folder = region_root / folder
        return EogNamedSource(LocalFolder(folder), satellites, configs, aoi_bounds)
    if kind == "s3":
        folder = open_input_folder(settings.url, credentials, cache, s3_endpoint_url=s3_endpoint_url)
        return EogNamedSource(folder, satellites, configs, aoi_bounds)
    if kind == "geotiff":
        location = settings.url or "nightlights"
        if not location.startswith(("s3://", "http://", "https://")) and not Path(location).is_absolute():
            location = str(region_root / location)
        folder = open_input_folder(location, credentials, cache, s3_endpoint_url=s3_endpoint_url)
        return GeoTiffSource(folder, settings, aoi_bounds)
    if kind == "eog":
        return EogHttpSource(settings, satellites, configs, aoi_bounds, credentials, cache)
    if kind == "blackmarble":
        return BlackMarbleSource(settings, aoi_bounds, credentials, cache)
    raise ValueError(f"unknown night-light source {kind!r}")
