"""Dagster resources: the region's inputs and the output storage."""

from __future__ import annotations

import os
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import dagster as dg
import geopandas as gpd
import shapely
from pydantic import PrivateAttr

from sacnn_dagster.core.atomic import atomic_path
from sacnn_dagster.core.cache import CacheSettings, default_cache_folder
from sacnn_dagster.core.credentials import ENV_VARS, Credentials
from sacnn_dagster.core.input_folder import InputFolder, open_input_folder
from sacnn_dagster.core.landuse import LandUse, load_landuse
from sacnn_dagster.core.nightlight_source import NightlightSource, open_nightlight_source
from sacnn_dagster.core.pois import list_snapshots
from sacnn_dagster.core.region import RegionConfig, load_region


class CredentialsResource(dg.ConfigurableResource):
    """Secrets for remote sources and S3. Set them only as `EnvVar`s (see `from_environment`): Dagster then
    keeps the values out of run config and the UI."""

    eog_username: str | None = None
    eog_password: str | None = None
    eog_token: str | None = None
    eog_session_cookie: str | None = None
    earthdata_token: str | None = None
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    aws_session_token: str | None = None

    @classmethod
    def from_environment(cls) -> CredentialsResource:
        """An `EnvVar` for every documented variable that is set (see core/credentials.py)."""
        return cls(**{field: dg.EnvVar(var) for field, var in ENV_VARS.items() if os.environ.get(var)})

    def credentials(self) -> Credentials:
        return Credentials(**{field: getattr(self, field) for field in ENV_VARS})


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
            )
        return self._nightlights

    def _folder(self, location: str) -> InputFolder:
        return open_input_folder(
            self.config.resolve(location),
            self.credentials.credentials(),
            self.cache,
            s3_endpoint_url=self.config.nightlights.endpoint_url,
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
            raise FileNotFoundError(
                f"{location} is missing: the statistics file is required for training"
            ) from exc

    @property
    def landuse(self) -> LandUse | None:
        if self._landuse is None:
            self._landuse = (load_landuse(self.config.landuse_path),)
        return self._landuse[0]


class OutputStorage(dg.ConfigurableResource, ABC):
    """Where every asset's files go, one folder per asset, one file per month (`asset/YYYY-MM.ext`).
    Each kind of store (local folder now, S3 next) implements these four methods."""

    root: str

    @abstractmethod
    def uri(self, key: str) -> str:
        """Where the object lives, for metadata and logs."""

    @abstractmethod
    def writing(self, key: str) -> AbstractContextManager[Path]:
        """A local path to write; it becomes visible under `key` only when the block succeeds."""

    @abstractmethod
    def reading(self, key: str) -> AbstractContextManager[Path]:
        """A local path holding the object stored under `key`."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        """Whether an object is stored under `key`."""

    @abstractmethod
    def list_keys(self, prefix: str) -> list[str]:
        """Keys stored under `prefix/`, sorted."""

    def put_folder(self, local: Path, prefix: str) -> None:
        """Store every file of a local folder under `prefix/`, each write atomic."""
        for path in sorted(p for p in local.rglob("*") if p.is_file()):
            with self.writing(f"{prefix}/{path.relative_to(local).as_posix()}") as tmp:
                shutil.copyfile(path, tmp)

    @contextmanager
    def fetched_folder(self, prefix: str) -> Iterator[Path]:
        """A local folder holding a copy of everything stored under `prefix/`."""
        keys = self.list_keys(prefix)
        if not keys:
            raise FileNotFoundError(f"nothing stored under {self.uri(prefix)}")
        with tempfile.TemporaryDirectory() as tmp:
            for key in keys:
                target = Path(tmp) / key[len(prefix) + 1 :]
                target.parent.mkdir(parents=True, exist_ok=True)
                with self.reading(key) as path:
                    shutil.copyfile(path, target)
            yield Path(tmp)


class LocalOutputStorage(OutputStorage):
    """Outputs in a local folder; writes are atomic (temporary file, then rename)."""

    def _path(self, key: str) -> Path:
        return Path(self.root).resolve() / key

    def uri(self, key: str) -> str:
        return str(self._path(key))

    @contextmanager
    def writing(self, key: str) -> Iterator[Path]:
        with atomic_path(self._path(key)) as tmp:
            yield tmp

    @contextmanager
    def reading(self, key: str) -> Iterator[Path]:
        path = self._path(key)
        if not path.is_file():
            raise FileNotFoundError(f"{path} does not exist: materialize its asset for this month first")
        yield path

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list_keys(self, prefix: str) -> list[str]:
        base = Path(self.root).resolve()
        folder = base / prefix
        if not folder.is_dir():
            return []
        return sorted(
            p.relative_to(base).as_posix() for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")
        )
