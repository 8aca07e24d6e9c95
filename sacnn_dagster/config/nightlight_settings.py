"""region.yaml's `nightlights:` block: where the monthly composites come from."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from sacnn_dagster.config.schema import SettingsModel

EOG_URL = "https://eogdata.mines.edu/nighttime_light"
BLACK_MARBLE_URL = "https://ladsweb.modaps.eosdis.nasa.gov/archive/allData/5200/VNP46A3"
BLACK_MARBLE_LAYER = "NearNadir_Composite_Snow_Free"
#: The remote sources' own servers, used when the block names no `url`.
DEFAULT_URLS = {"eog": EOG_URL, "blackmarble": BLACK_MARBLE_URL}


class NightlightSettings(SettingsModel):
    """region.yaml's `nightlights:` mapping: which source, and where."""

    source: Literal["local", "eog", "blackmarble", "s3"] = "local"
    """local: EOG-named files in a folder; eog: EOG over HTTPS; blackmarble: NASA Black Marble VNP46A3 from
    LAADS; s3: EOG-named files under an S3 prefix."""

    url: str | None = None
    """local: a folder (default REGION/nightlights); s3: s3://bucket/prefix (required); eog and blackmarble:
    the base URL (default: the source's own server, `DEFAULT_URLS`)."""

    layout: Literal["tiled", "notile"] = "tiled"
    """eog only: `tiled` (one .tgz per 120x75 degree tile) or `notile` (global .tif.gz files)."""

    layer: str = BLACK_MARBLE_LAYER
    """blackmarble only: the HDF5 dataset to read."""

    max_concurrent_downloads: int = Field(2, ge=1)
    """Downloads running at once, for every remote source."""

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
        return self
