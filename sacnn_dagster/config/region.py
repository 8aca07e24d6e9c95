"""The inputs contract: a region folder and its `region.yaml` (documented in the README), read through a schema
that names the file, the key and what is allowed for any problem, and the nearest valid key for a typo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, ValidationError, model_validator

from sacnn_dagster.config.bad_input import BadInput
from sacnn_dagster.config.geojson_text import check_geojson
from sacnn_dagster.config.limits import Limits
from sacnn_dagster.config.monitoring import MonitoringSettings
from sacnn_dagster.config.months import parse_month
from sacnn_dagster.config.nightlight_settings import BLACK_MARBLE_URL, NightlightSettings
from sacnn_dagster.config.schema import OPTIONAL_BLOCK, SettingsModel, allowed
from sacnn_dagster.config.schema_errors import explain
from sacnn_dagster.config.yaml_text import read_yaml

# Imported from here by the sources and their tests.
__all__ = ["BLACK_MARBLE_URL", "CONFIGS", "SATELLITES", "NightlightSettings", "RegionConfig", "load_region"]

Satellite = Literal["npp", "j01", "j02"]
Config = Literal["vcmcfg", "vcmslcfg"]
SATELLITES: tuple[Satellite, ...] = get_args(Satellite)
CONFIGS: tuple[Config, ...] = get_args(Config)


def _month(text: str) -> str:
    parse_month(text)
    return text


def _folder_name(text: str) -> str:
    # The default output folder is sacnn-output/<name>/: a name with a separator or `..` (or an absolute one)
    # would put the outputs somewhere else entirely.
    if text in (".", "..") or any(c in text for c in "/\\:") or not text.isprintable() or text != text.strip():
        raise ValueError(f"{text!r} is not a plain folder name (no /, \\ or :, not . or .., no surrounding spaces)")
    return text


def _listed(value: Any) -> Any:
    return [value] if isinstance(value, str | int) else value


def _lowercase(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _one_or_more(options: tuple[str, ...]) -> dict[str, str]:
    return allowed(f"a non-empty list drawn from {', '.join(options)}")


Month = Annotated[str, AfterValidator(_month)]
TypeCode = Annotated[str, StringConstraints(pattern=r"^[0-9]+$")]


class RegionSettings(SettingsModel):
    """What REGION/region.yaml holds, key by key (the README's table)."""

    name: Annotated[str, Field(min_length=1), AfterValidator(_folder_name)]
    """The region's name; the default output folder is sacnn-output/<name>/, so it must be a plain folder name
    (any script, no /, \\ or :, not . or ..)."""

    start: Month
    """The first month, YYYY-MM: the first partition."""

    end: Month | None = None
    """The last month; without it the partitions run to the last complete month."""

    poi_crs: Annotated[Literal["gcj02", "wgs84"], BeforeValidator(_lowercase)] = "gcj02"
    """The coordinates of the POI snapshots: gcj02 (Amap's, shifted in China) or wgs84 (e.g. OpenStreetMap)."""

    factory_typecodes: Annotated[
        tuple[TypeCode, ...],
        BeforeValidator(_listed),  # one code may be written without a list
        Field(min_length=1, json_schema_extra=allowed('digit prefixes of Amap type codes, e.g. ["1703"]')),
    ] = ("1703",)
    """Amap type-code prefixes that count as factories."""

    buffer_m: float = Field(1500.0, gt=0, json_schema_extra=allowed("a positive number of metres"))
    """The buffer radius around each factory in metres."""

    satellites: tuple[Satellite, ...] = Field(SATELLITES, min_length=1, json_schema_extra=_one_or_more(SATELLITES))
    """Preference order when several composites exist for a month: the first satellite that has one wins,
    then the first configuration, then the newest processing stamp."""

    configs: tuple[Config, ...] = Field(CONFIGS, min_length=1, json_schema_extra=_one_or_more(CONFIGS))
    """Preference order of EOG configurations, after the satellite (see `satellites`)."""

    urban_threshold: float = 10.0
    """Radiance above which a pixel counts as urban when the region has no land-use layer."""

    nightlights: Annotated[NightlightSettings, OPTIONAL_BLOCK] = NightlightSettings()
    """Where the monthly composites come from (default: EOG-named files in REGION/nightlights)."""

    pois: str = "pois"
    """The POI snapshot folder: a path relative to the region folder, an absolute path, s3://bucket/prefix or
    an http(s):// index page."""

    statistics: str = "statistics/gvio_monthly.csv"
    """The statistics file: a path relative to the region folder, an absolute path or s3://bucket/key.csv."""

    s3_endpoint_url: str | None = None
    """The endpoint of an S3-compatible store (MinIO, Ceph, ...) for every s3:// input; none for AWS."""

    cache_max_gb: float | None = Field(20.0, ge=0)
    """The download cache bound in GB (null = unbounded), least recently used files evicted first; the folder
    is $SACNN_CACHE or ~/.cache/sacnn_dagster."""

    checks: Annotated[Limits, OPTIONAL_BLOCK] = Limits()
    """The asset checks' thresholds (see config/limits.py for the defaults and why)."""

    monitoring: Annotated[MonitoringSettings, OPTIONAL_BLOCK] = MonitoringSettings()
    """By when each month is due (freshness checks, `status`) and the UI address alerts link to (see
    config/monitoring.py for the defaults and why)."""

    @model_validator(mode="after")
    def _end_not_before_start(self) -> RegionSettings:
        if self.end is not None and parse_month(self.end) < parse_month(self.start):
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class RegionConfig(RegionSettings):
    """A region: its folder, and the settings of its region.yaml."""

    root: Path
    """The region folder, absolute."""

    @property
    def pois_location(self) -> str:
        """Where the POI snapshots are, as region.yaml says (see `resolve`)."""
        return self.pois

    @property
    def statistics_location(self) -> str:
        """Where the statistics file is, as region.yaml says (see `resolve`)."""
        return self.statistics

    @property
    def boundary_path(self) -> Path:
        return self.root / "boundary.geojson"

    @property
    def districts_path(self) -> Path:
        return self.root / "districts.geojson"

    @property
    def landuse_path(self) -> Path:
        return self.root / "landuse.geojson"

    def resolve(self, location: str) -> str:
        """A location from region.yaml: URLs as they are, paths relative to the region folder."""
        if location.startswith(("s3://", "http://", "https://")) or Path(location).is_absolute():
            return location
        return str(self.root / location)

    @property
    def validation_dir(self) -> Path:
        return self.root / "validation"


def load_region(root: str | Path) -> RegionConfig:
    """Read and validate REGION/region.yaml and the region's GeoJSON files; every problem is a `BadInput` naming
    the file and the key (or the line and column)."""
    root = Path(root).resolve()
    cfg_path = root / "region.yaml"
    if not root.is_dir():
        raise FileNotFoundError(f"region folder {root} does not exist")
    if not cfg_path.is_file():
        raise FileNotFoundError(f"{cfg_path} is missing: every region folder needs a region.yaml")
    raw = read_yaml(cfg_path)
    raw = {} if raw is None else raw  # an empty file: told which keys are required
    try:
        settings = RegionSettings.model_validate(raw)
    except ValidationError as error:
        raise BadInput(explain(error, cfg_path, RegionSettings, raw).removeprefix(f"{cfg_path}: "), cfg_path) from None
    region = RegionConfig(root=root, **dict(settings))
    if not region.boundary_path.is_file():
        raise FileNotFoundError(f"{region.boundary_path} is missing: the area of interest is required")
    for layer in (region.boundary_path, region.districts_path, region.landuse_path):
        if layer.is_file():
            check_geojson(layer)  # before any month runs: a broken layer named with its line and column
    return region
