"""The region's inputs (settings, boundary, night lights, POI snapshots, land use, statistics), as a Dagster
resource."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import geopandas as gpd
import shapely
from pydantic import PrivateAttr

from sacnn_dagster.config.region import RegionConfig, load_region
from sacnn_dagster.defs.resources.credentials import CredentialsResource
from sacnn_dagster.features.pois import list_snapshots
from sacnn_dagster.geo.landuse import LandUse, load_landuse
from sacnn_dagster.io.cache import CacheSettings, default_cache_folder
from sacnn_dagster.io.input_folder import InputFolder
from sacnn_dagster.io.open_folder import open_input_folder
from sacnn_dagster.nightlights.open_source import open_nightlight_source
from sacnn_dagster.nightlights.source import NightlightSource


class RegionResource(dg.ConfigurableResource):
    """A region folder following the inputs contract (see README): settings, boundary, night lights,
    POI snapshots, land use, statistics. Loaded lazily and cached for the life of one run."""

    path: str
    credentials: CredentialsResource
    _config: RegionConfig | None = PrivateAttr(default=None)
    _boundary: object = PrivateAttr(default=None)
    _nightlights: NightlightSource | None = PrivateAttr(default=None)
    _landuse: tuple | None = PrivateAttr(default=None)

    @property
    def config(self) -> RegionConfig:
        if self._config is None:
            self._config = load_region(self.path)
        return self._config

    @property
    def boundary(self):
        """The area of interest as one shapely geometry, EPSG:4326."""
        if self._boundary is None:
            path = self.config.boundary_path
            gdf = gpd.read_file(path)
            if gdf.empty:
                raise ValueError(f"{path}: no polygon")
            if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
                gdf = gdf.to_crs(4326)
            geom = shapely.union_all(gdf.geometry.values)
            if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
                raise ValueError(f"{path}: the area of interest must be polygon(s), got {geom.geom_type}")
            self._boundary = geom
        return self._boundary

    @property
    def cache(self) -> CacheSettings:
        gb = self.config.cache_max_gb
        return CacheSettings(default_cache_folder(), None if gb is None else int(gb * 1e9))

    @property
    def nightlights(self) -> NightlightSource:
        if self._nightlights is None:
            cfg = self.config
            self._nightlights = open_nightlight_source(
                cfg.nightlights,
                cfg.root,
                cfg.satellites,
                cfg.configs,
                self.boundary.bounds,
                self.credentials.credentials(),
                self.cache,
                cfg.s3_endpoint_url,
            )
        return self._nightlights

    def _folder(self, location: str) -> InputFolder:
        return open_input_folder(
            self.config.resolve(location),
            self.credentials.credentials(),
            self.cache,
            s3_endpoint_url=self.config.s3_endpoint_url,
        )

    @property
    def pois_location(self) -> str:
        return self.config.resolve(self.config.pois_location)

    def poi_snapshots(self) -> dict[str, str]:
        """month -> snapshot file name in the POI folder (none when the folder is missing)."""
        folder = self._folder(self.config.pois_location)
        try:
            names = folder.list_files()
        except FileNotFoundError:
            return {}
        return list_snapshots([n for n in names if "/" not in n])

    def poi_snapshot_file(self, name: str) -> Path:
        """A local copy of one POI snapshot."""
        return self._folder(self.config.pois_location).local_path(name)

    @property
    def statistics_location(self) -> str:
        return self.config.resolve(self.config.statistics_location)

    def statistics_file(self) -> Path:
        """A local copy of the statistics file; FileNotFoundError names where it was looked for."""
        location = self.statistics_location.rstrip("/")
        parent, _, name = location.rpartition("/")
        try:
            return self._folder(parent).local_path(name)
        except FileNotFoundError as exc:
            raise FileNotFoundError(f"{location} is missing: the statistics file is required for training") from exc

    @property
    def landuse(self) -> LandUse | None:
        if self._landuse is None:
            self._landuse = (load_landuse(self.config.landuse_path),)
        return self._landuse[0]
