"""The inputs contract: a region folder and its `region.yaml` (documented in the README)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sacnn_dagster.config.limits import Limits
from sacnn_dagster.config.months import parse_month

SATELLITES = ("npp", "j01", "j02")
CONFIGS = ("vcmcfg", "vcmslcfg")
NIGHTLIGHT_SOURCES = ("local", "eog", "blackmarble", "s3")
EOG_URL = "https://eogdata.mines.edu/nighttime_light"
BLACK_MARBLE_URL = "https://ladsweb.modaps.eosdis.nasa.gov/archive/allData/5200/VNP46A3"
BLACK_MARBLE_LAYER = "NearNadir_Composite_Snow_Free"


@dataclass(frozen=True)
class NightlightSettings:
    """region.yaml's `nightlights:` mapping: which source, and where."""

    source: str = "local"
    #: local: a folder (default REGION/nightlights); s3: s3://bucket/prefix; eog / blackmarble: base URL.
    url: str | None = None
    #: eog only: `tiled` (one .tgz per 120x75 degree tile) or `notile` (global .tif.gz files).
    layout: str = "tiled"
    #: blackmarble only: the HDF5 dataset to read.
    layer: str = BLACK_MARBLE_LAYER
    #: Downloads running at once.
    max_concurrent_downloads: int = 2


@dataclass(frozen=True)
class RegionConfig:
    """Settings of one region, read from REGION/region.yaml."""

    root: Path
    name: str
    start: str
    end: str | None = None
    poi_crs: str = "gcj02"
    factory_typecodes: tuple[str, ...] = ("1703",)
    buffer_m: float = 1500.0
    #: Preference order when several composites exist for a month: the first satellite that has one wins,
    #: then the first configuration, then the newest processing stamp.
    satellites: tuple[str, ...] = SATELLITES
    configs: tuple[str, ...] = CONFIGS
    #: Radiance above which a pixel counts as urban when the region has no land-use layer.
    urban_threshold: float = 10.0
    nightlights: NightlightSettings = NightlightSettings()
    #: Where POI snapshots and the statistics file are: a path relative to the region folder, an absolute
    #: path, s3://... or (POIs only) http(s)://... .
    pois_location: str = "pois"
    statistics_location: str = "statistics/gvio_monthly.csv"
    #: The endpoint of an S3-compatible store (MinIO, Ceph, ...) for every s3:// input; None for AWS.
    s3_endpoint_url: str | None = None
    #: The download cache bound in GB (None = unbounded); the folder is $SACNN_CACHE or ~/.cache/sacnn_dagster.
    cache_max_gb: float | None = 20.0
    #: The asset checks' thresholds (region.yaml `checks:`; see quality/verdicts.py for the defaults and why).
    checks: Limits = Limits()
    extra: dict = field(default_factory=dict, compare=False)

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


_KNOWN = {
    "name",
    "start",
    "end",
    "poi_crs",
    "factory_typecodes",
    "buffer_m",
    "satellites",
    "configs",
    "urban_threshold",
    "nightlights",
    "pois",
    "statistics",
    "cache_max_gb",
    "s3_endpoint_url",
    "checks",
}


def _nightlight_settings(raw, cfg_path: Path) -> NightlightSettings:
    if raw is None:
        return NightlightSettings()
    if not isinstance(raw, dict):
        raise ValueError(f"{cfg_path}: nightlights must be a mapping with at least `source`")
    unknown = set(raw) - {f for f in NightlightSettings.__dataclass_fields__}
    if unknown:
        raise ValueError(f"{cfg_path}: nightlights has unknown keys {sorted(unknown)}")
    source = str(raw.get("source", "local"))
    if source not in NIGHTLIGHT_SOURCES:
        raise ValueError(f"{cfg_path}: nightlights.source must be one of {list(NIGHTLIGHT_SOURCES)}, not {source!r}")
    url = raw.get("url")
    if url is None:
        url = {"eog": EOG_URL, "blackmarble": BLACK_MARBLE_URL}.get(source)
    if source == "s3" and not str(url or "").startswith("s3://"):
        raise ValueError(f"{cfg_path}: nightlights.url must be s3://bucket/prefix for source s3")
    if source in ("eog", "blackmarble") and not str(url).startswith(("http://", "https://")):
        raise ValueError(f"{cfg_path}: nightlights.url must be an http(s) URL for source {source}")
    layout = str(raw.get("layout", "tiled"))
    if layout not in ("tiled", "notile"):
        raise ValueError(f"{cfg_path}: nightlights.layout must be tiled or notile, not {layout!r}")
    concurrent = int(raw.get("max_concurrent_downloads", 2))
    if concurrent < 1:
        raise ValueError(f"{cfg_path}: nightlights.max_concurrent_downloads must be at least 1")
    return NightlightSettings(
        source=source,
        url=str(url) if url is not None else None,
        layout=layout,
        layer=str(raw.get("layer", BLACK_MARBLE_LAYER)),
        max_concurrent_downloads=concurrent,
    )


def load_region(root: str | Path) -> RegionConfig:
    """Read and validate REGION/region.yaml; every problem names the file and the key."""
    root = Path(root).resolve()
    cfg_path = root / "region.yaml"
    if not root.is_dir():
        raise FileNotFoundError(f"region folder {root} does not exist")
    if not cfg_path.is_file():
        raise FileNotFoundError(f"{cfg_path} is missing: every region folder needs a region.yaml")
    raw = yaml.safe_load(cfg_path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise ValueError(f"{cfg_path}: expected a mapping of settings")

    def need(key):
        if key not in raw or raw[key] in (None, ""):
            raise ValueError(f"{cfg_path}: required key {key!r} is missing")
        return raw[key]

    name = str(need("name"))
    start = str(need("start"))
    parse_month(start, f"{cfg_path}: start")
    end = raw.get("end")
    if end is not None:
        end = str(end)
        if parse_month(end, f"{cfg_path}: end") < parse_month(start):
            raise ValueError(f"{cfg_path}: end {end} is before start {start}")
    poi_crs = str(raw.get("poi_crs", "gcj02")).lower()
    if poi_crs not in ("gcj02", "wgs84"):
        raise ValueError(f"{cfg_path}: poi_crs must be gcj02 or wgs84, not {poi_crs!r}")
    typecodes = raw.get("factory_typecodes", ["1703"])
    if isinstance(typecodes, (str, int)):
        typecodes = [typecodes]
    typecodes = tuple(str(t) for t in typecodes)
    if not typecodes or not all(t.isdigit() for t in typecodes):
        raise ValueError(f"{cfg_path}: factory_typecodes must be digit prefixes, got {typecodes}")
    buffer_m = float(raw.get("buffer_m", 1500))
    if not buffer_m > 0:
        raise ValueError(f"{cfg_path}: buffer_m must be positive")
    satellites = tuple(raw.get("satellites", SATELLITES))
    configs = tuple(raw.get("configs", CONFIGS))
    for value, allowed, key in ((satellites, SATELLITES, "satellites"), (configs, CONFIGS, "configs")):
        bad = [v for v in value if v not in allowed]
        if bad or not value:
            raise ValueError(f"{cfg_path}: {key} must be a non-empty list drawn from {list(allowed)}, got {bad}")
    if not (root / "boundary.geojson").is_file():
        raise FileNotFoundError(f"{root / 'boundary.geojson'} is missing: the area of interest is required")
    return RegionConfig(
        root=root,
        name=name,
        start=start,
        end=end,
        poi_crs=poi_crs,
        factory_typecodes=typecodes,
        buffer_m=buffer_m,
        satellites=satellites,
        configs=configs,
        urban_threshold=float(raw.get("urban_threshold", 10.0)),
        nightlights=_nightlight_settings(raw.get("nightlights"), cfg_path),
        pois_location=str(raw.get("pois", "pois")),
        statistics_location=str(raw.get("statistics", "statistics/gvio_monthly.csv")),
        s3_endpoint_url=raw.get("s3_endpoint_url"),
        cache_max_gb=None if raw.get("cache_max_gb", 20.0) is None else float(raw.get("cache_max_gb", 20.0)),
        checks=Limits.from_mapping(raw.get("checks"), str(cfg_path)),
        extra={k: v for k, v in raw.items() if k not in _KNOWN},
    )
