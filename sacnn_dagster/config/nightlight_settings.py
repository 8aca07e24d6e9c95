"""region.yaml's `nightlights:` block: where the monthly composites come from."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, model_validator

from sacnn_dagster.config.schema import SettingsModel

EOG_URL = "https://eogdata.mines.edu/nighttime_light"
BLACK_MARBLE_URL = "https://ladsweb.modaps.eosdis.nasa.gov/archive/allData/5200/VNP46A3"
BLACK_MARBLE_LAYER = "NearNadir_Composite_Snow_Free"
#: The remote sources' own servers, used when the block names no `url`.
DEFAULT_URLS = {"eog": EOG_URL, "blackmarble": BLACK_MARBLE_URL}
#: geotiff: Earth Engine's `fileNamePrefix: "2020-01"` gives 2020-01.tif.
GEOTIFF_PATTERN = "{YYYY}-{MM}.tif"
GEOTIFF_KEYS = ("pattern", "radiance_band", "coverage_band")
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


class NightlightSettings(SettingsModel):
    """region.yaml's `nightlights:` mapping: which source, and where."""

    source: Literal["local", "eog", "blackmarble", "s3", "geotiff"] = "local"
    """local: EOG-named files in a folder; eog: EOG over HTTPS; blackmarble: NASA Black Marble VNP46A3 from
    LAADS; s3: EOG-named files under an S3 prefix; geotiff: one GeoTIFF per month under any name (`pattern`),
    e.g. Google Earth Engine exports, in a folder, under an S3 prefix or an HTTP index."""

    url: str | None = None
    """local: a folder (default REGION/nightlights); s3: s3://bucket/prefix (required); eog and blackmarble:
    the base URL (default: the source's own server, `DEFAULT_URLS`); geotiff: a folder (relative to the region
    folder, default REGION/nightlights), s3://bucket/prefix or an http(s):// index page."""

    layout: Literal["tiled", "notile"] = "tiled"
    """eog only: `tiled` (one .tgz per 120x75 degree tile) or `notile` (global .tif.gz files)."""

    layer: str = BLACK_MARBLE_LAYER
    """blackmarble only: the HDF5 dataset to read."""

    max_concurrent_downloads: int = Field(2, ge=1)
    """Downloads running at once, for every remote source."""

    pattern: str = GEOTIFF_PATTERN
    """geotiff only: the month's file, relative to `url`, with `{YYYY}` and `{MM}` where the year and the month
    stand (both required; `/` for subfolders, `*` for any characters within a name)."""

    radiance_band: int | str = "avg_rad"
    """geotiff only: the radiance band (nW/cm²/sr), by its description (Earth Engine's band name, `avg_rad`)
    or its 1-based number."""

    coverage_band: int | str | None = None
    """geotiff only: the cloud-free coverage band (`cf_cvg`), by description or 1-based number; none (the
    default) reads the month without coverage, as a source that publishes none."""

    @model_validator(mode="before")
    @classmethod
    def _url_defaults_to_the_sources_own(cls, data: Any) -> Any:
        # Which default depends on another key, which a field default cannot see; `url: null` has always meant
        # the default too.
        if isinstance(data, dict) and data.get("url") is None and isinstance(data.get("source"), str):
            default = DEFAULT_URLS.get(data["source"])
            if default is not None:
                return {**data, "url": default}
        return data

    @model_validator(mode="after")
    def _url_fits_the_source(self) -> NightlightSettings:
        if self.source == "s3" and not (self.url or "").startswith("s3://"):
            raise ValueError(f"url must be s3://bucket/prefix for source s3, not {self.url!r}")
        if self.source in DEFAULT_URLS and not str(self.url).startswith(("http://", "https://")):
            raise ValueError(f"url must be an http(s) URL for source {self.source}, not {self.url!r}")
        given = sorted(k for k in GEOTIFF_KEYS if k in self.model_fields_set)
        if self.source != "geotiff" and given:
            raise ValueError(f"{', '.join(given)}: for source geotiff only, not {self.source}")
        if self.source == "geotiff":
            check_pattern(self.pattern)
            for key in ("radiance_band", "coverage_band"):
                band = getattr(self, key)
                if isinstance(band, int) and band < 1:
                    raise ValueError(f"{key} must be a band description or a band number from 1, not {band}")
                if isinstance(band, str) and not band.strip():
                    raise ValueError(f"{key} must be a band description or a band number from 1, not empty")
        return self


def check_pattern(pattern: str) -> None:
    """A geotiff `pattern` names every month's file by `{YYYY}` and `{MM}` and by no other placeholder."""
    placeholders = set(_PLACEHOLDER.findall(pattern))
    missing = [p for p in ("{YYYY}", "{MM}") if p not in placeholders]
    if missing:
        raise ValueError(f"pattern {pattern!r} must contain {' and '.join(missing)} (the year and the month)")
    unknown = sorted(placeholders - {"{YYYY}", "{MM}"})
    if unknown:
        raise ValueError(f"pattern {pattern!r}: unknown placeholder(s) {', '.join(unknown)}: only {{YYYY}} and {{MM}}")
    if pattern.startswith("/") or ".." in pattern.split("/"):
        raise ValueError(f"pattern {pattern!r} must be relative to url, without '..'")
