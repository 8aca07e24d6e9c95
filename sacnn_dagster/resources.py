"""Dagster resources: the region's inputs and the output storage."""

from __future__ import annotations

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
from sacnn_dagster.core.landuse import LandUse, load_landuse
from sacnn_dagster.core.nightlight_source import LocalNightlightSource
from sacnn_dagster.core.pois import list_snapshots
from sacnn_dagster.core.region import RegionConfig, load_region


class RegionResource(dg.ConfigurableResource):
    """A region folder following the inputs contract (see README): settings, boundary, night lights,
    POI snapshots, land use, statistics. Loaded lazily and cached for the life of one run."""

    path: str
    _config: RegionConfig | None = PrivateAttr(default=None)
    _boundary: object = PrivateAttr(default=None)
    _nightlights: LocalNightlightSource | None = PrivateAttr(default=None)
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
    def nightlights(self) -> LocalNightlightSource:
        if self._nightlights is None:
            cfg = self.config
            self._nightlights = LocalNightlightSource(
                folder=cfg.nightlights_dir,
                satellites=cfg.satellites,
                configs=cfg.configs,
                aoi_bounds=self.boundary.bounds,
            )
        return self._nightlights

    @property
    def landuse(self) -> LandUse | None:
        if self._landuse is None:
            self._landuse = (load_landuse(self.config.landuse_path),)
        return self._landuse[0]

    def poi_snapshots(self) -> dict[str, Path]:
        return list_snapshots(self.config.pois_dir)


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
