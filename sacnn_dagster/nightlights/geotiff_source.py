"""Any monthly GeoTIFF as a night-light source (`nightlights: {source: geotiff}`): one file per month, named by
a pattern such as `{YYYY}-{MM}.tif` (Google Earth Engine exports of NOAA/VIIRS/DNB/MONTHLY_V1/VCMSLCFG,
blackmarblepy composites, crops made by a colleague), in a local folder, under an S3 prefix or an HTTP index.

- Bands are chosen by their description (Earth Engine writes its band names, `avg_rad`, `cf_cvg`) or their
  1-based number; without a coverage band the month has no coverage, as a source that publishes none.
- The lattice is the region's first month's, not EOG's: an export may sit on a slightly different 15"
  grid than EOG's. Every other month must lie on it (same CRS, same pixel size, an origin a whole number of
  pixels away); one that does not is refused naming the file, the month and what differs. Nothing is ever
  resampled.
- A month's version is the sha256 of its file's content, computed again only when the file's size, mtime or
  ctime moved (a remote file: its ETag or Last-Modified), so a re-exported month, even under the same name
  and size, gets a new version and reruns alone under the sensors. The folder is listed again at every look
  (`local_folder()` is None: a folder listing alone would not see a file rewritten in place).
"""

from __future__ import annotations

import hashlib
import math
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import rasterio
from rasterio._err import CPLE_BaseError
from rasterio.features import geometry_mask
from rasterio.windows import Window

from sacnn_dagster.geo.grid import EOG_RES, LATTICE_TOLERANCE, Grid, lattice_window
from sacnn_dagster.io.input_folder import InputFolder, LocalFolder
from sacnn_dagster.nightlights.composite_reader import _READ_ONLY_ENV, Composite
from sacnn_dagster.nightlights.source import FetchedComposite, MonthNotAvailable, NightlightSource

#: How far the first month's pixel size may be from 15" (1/240 degree) and still be read: Earth Engine's
#: `scale: 463.83` gives 1/240 within float noise, `scale: 500` 8 % more. Further off, the pipeline's pixel
#: patches and buffers would no longer mean what they mean on VIIRS' lattice.
RESOLUTION_TOLERANCE = 0.10


class LatticeMismatch(ValueError):
    """A month's file is not on the lattice of the region's first month: names the file, the month and what
    differs."""


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """The regular expression of a geotiff `pattern` ({YYYY} and {MM}, `*` any characters within a name)."""
    out, seen = [], set()
    for part in re.split(r"(\{YYYY\}|\{MM\}|\*)", pattern):
        if part in ("{YYYY}", "{MM}"):
            name = part[1:-1]
            digits = "[0-9]{4}" if name == "YYYY" else "[0-9]{2}"
            out.append(f"(?P={name})" if name in seen else f"(?P<{name}>{digits})")
            seen.add(name)
        elif part == "*":
            out.append("[^/]*")
        else:
            out.append(re.escape(part))
    return re.compile("".join(out))


@dataclass(frozen=True)
class Lattice:
    """What a file's georeferencing says about its pixel lattice."""

    crs: str | None
    res_x: float
    res_y: float  # positive: north-up
    west: float
    north: float
    width: int
    height: int

    @classmethod
    def of(cls, ds) -> Lattice:
        t = ds.transform
        if t.b != 0 or t.d != 0 or t.e >= 0:
            raise ValueError(f"not a north-up raster: transform {tuple(t)[:6]}")
        crs = ds.crs.to_string() if ds.crs is not None else None
        return cls(crs, t.a, -t.e, t.c, t.f, ds.width, ds.height)

    @property
    def grid(self) -> Grid:
        return Grid(west=self.west, north=self.north, res=self.res_x, width=self.width, height=self.height)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return (self.west, self.north - self.height * self.res_y, self.west + self.width * self.res_x, self.north)

    def described(self) -> str:
        return (
            f'CRS {self.crs}, pixel {self.res_x * 3600:.4f}" x {self.res_y * 3600:.4f}", '
            f"origin lon {self.west:.6f} lat {self.north:.6f}"
        )


def lattice_differences(reference: Lattice, other: Lattice) -> list[str]:
    """What keeps `other` off `reference`'s lattice (CRS, resolution, origin offset), in words; [] when on it."""
    if reference.crs != other.crs:
        return [f"CRS {other.crs}, not {reference.crs}"]
    if not (
        math.isclose(other.res_x, reference.res_x, rel_tol=1e-6)
        and math.isclose(other.res_y, reference.res_y, rel_tol=1e-6)
    ):
        return [
            f"resolution {other.res_x:.9f} x {other.res_y:.9f} degrees "
            f'({other.res_x * 3600:.4f}" x {other.res_y * 3600:.4f}"), not {reference.res_x:.9f} x '
            f'{reference.res_y:.9f} ({reference.res_x * 3600:.4f}" x {reference.res_y * 3600:.4f}")'
        ]
    col = (other.west - reference.west) / reference.res_x
    row = (reference.north - other.north) / reference.res_y
    if abs(col - round(col)) > LATTICE_TOLERANCE or abs(row - round(row)) > LATTICE_TOLERANCE:
        return [
            f"origin offset by {col:.4f} columns and {row:.4f} rows from it (lon {other.west:.6f}, lat "
            f"{other.north:.6f} against {reference.west:.6f}, {reference.north:.6f}): not a whole number of "
            "pixels; nothing is resampled"
        ]
    return []


def reference_problem(lattice: Lattice) -> str | None:
    """Why the first month's lattice cannot be the region's (not lon/lat, not square, not about 15")."""
    if lattice.crs is None or lattice.crs.upper() not in ("EPSG:4326", "OGC:CRS84"):
        return f"CRS {lattice.crs}, not EPSG:4326 longitude/latitude (export with crs: 'EPSG:4326')"
    if not math.isclose(lattice.res_x, lattice.res_y, rel_tol=1e-6):
        return f"pixels are not square: {lattice.res_x} x {lattice.res_y} degrees"
    if abs(lattice.res_x / EOG_RES - 1) > RESOLUTION_TOLERANCE:
        return (
            f'pixel size {lattice.res_x * 3600:.4f}" is not about 15" (VIIRS\' 1/240 degree, within '
            f"{RESOLUTION_TOLERANCE:.0%}): export on EOG's grid (crsTransform in README)"
        )
    return None


def band_index(ds, band: int | str, key: str, shown: str) -> int:
    """The 1-based index of `band` (a description, or a number) in the open dataset; names the file and the
    bands it has when there is no such band."""
    if isinstance(band, int) or str(band).isdigit():
        index = int(band)
        if 1 <= index <= ds.count:
            return index
    else:
        descriptions = list(ds.descriptions)
        for exact in (True, False):
            for i, d in enumerate(descriptions, start=1):
                if d is not None and (d == band if exact else d.lower() == str(band).lower()):
                    return i
    bands = ", ".join(f"{i} {d!r}" if d else str(i) for i, d in enumerate(ds.descriptions, start=1))
    raise ValueError(f"{shown}: no band {band!r} for {key} (its bands: {bands}); name a band description or number")


def sha256_file(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


class GeoTiffSource(NightlightSource):
    """One GeoTIFF per month under an input folder, named by `settings.pattern` (a `NightlightSettings` with
    source `geotiff`)."""

    def __init__(self, folder: InputFolder, settings, aoi_bounds: tuple[float, float, float, float]):
        self.folder = folder
        self.pattern = settings.pattern
        self.regex = pattern_regex(settings.pattern)
        self.radiance_band = settings.radiance_band
        self.coverage_band = settings.coverage_band
        self.aoi_bounds = aoi_bounds
        self._files: dict[str, str] | None = None
        self._reference: tuple[str, str, Lattice] | None = None
        #: relative path -> (what the store says of the file, its sha256): re-hashed only when that moves.
        self._digests: dict[str, tuple[object, str]] = {}

    @property
    def location(self) -> str:
        return self.folder.location

    def shown(self, relative: str) -> str:
        return f"{self.location.rstrip('/')}/{relative}"

    def forget_listings(self, settled_before: str | None = None) -> None:
        # the folder is listed again at every look; the content digests are kept (by size/mtime/ctime)
        self._files = self._reference = None
        forget = getattr(self.folder, "forget_listings", None)
        if forget is not None:
            forget(settled_before)

    def month_files(self) -> dict[str, str]:
        """month -> the file (relative path) the pattern names for it. Two files for one month (a `*` in the
        pattern) is an error naming both."""
        if self._files is None:
            found: dict[str, str] = {}
            for relative in self.folder.list_files():
                m = self.regex.fullmatch(relative)
                if m is None or not 1 <= int(m["MM"]) <= 12:
                    continue
                month = f"{m['YYYY']}-{m['MM']}"
                if month in found:
                    raise ValueError(
                        f"{month}: two files match the pattern {self.pattern!r} under {self.location}: "
                        f"{found[month]} and {relative}; keep one"
                    )
                found[month] = relative
            self._files = dict(sorted(found.items()))
        return self._files

    def _stamp_and_path(self, relative: str) -> tuple[object, Path | None]:
        if isinstance(self.folder, LocalFolder):
            path = self.folder.folder / relative
            st = path.stat()
            return (st.st_size, st.st_mtime_ns, st.st_ctime_ns), path
        stamp = self.folder.version(relative)
        if stamp is None:  # the store says nothing: its content, fetched (the cache keeps it)
            path = self.folder.local_path(relative)
            st = path.stat()
            return (st.st_size, st.st_mtime_ns, st.st_ctime_ns), path
        return stamp, None

    def digest(self, relative: str) -> str:
        """sha256 of the file's content, read again only when its size, mtime or ctime (a remote one: its
        ETag or Last-Modified) moved: any write changes the ctime, so a re-export is always seen."""
        stamp, path = self._stamp_and_path(relative)
        known = self._digests.get(relative)
        if known is None or known[0] != stamp:
            known = (stamp, sha256_file(path if path is not None else self.folder.local_path(relative)))
            self._digests[relative] = known
        return known[1]

    def version_of(self, relative: str) -> str:
        return f"{PurePosixPath(relative).name} sha256:{self.digest(relative)[:16]}"

    def available_months(self) -> dict[str, str]:
        return {month: self.version_of(relative) for month, relative in self.month_files().items()}

    @contextmanager
    def _open(self, month: str, relative: str):
        shown = self.shown(relative)
        path = self.folder.local_path(relative)
        with rasterio.Env(**_READ_ONLY_ENV):
            try:
                ds = rasterio.open(path)
            except rasterio.errors.RasterioIOError as exc:
                raise ValueError(f"{month}: {shown}: cannot be read as a raster ({exc})") from exc
            with ds:
                yield ds

    def file_lattice(self, month: str, relative: str) -> Lattice:
        with self._open(month, relative) as ds:
            try:
                return Lattice.of(ds)
            except ValueError as exc:
                raise LatticeMismatch(f"{month}: {self.shown(relative)}: {exc}") from None

    def reference_lattice(self) -> tuple[str, str, Lattice] | None:
        """(month, file, lattice) of the region's first month: every month must lie on its lattice. None when
        no month is listed."""
        if self._reference is None:
            files = self.month_files()
            if not files:
                return None
            month, relative = next(iter(files.items()))
            lattice = self.file_lattice(month, relative)
            if (why := reference_problem(lattice)) is not None:
                raise LatticeMismatch(f"{month}: {self.shown(relative)} (the region's first month): {why}")
            self._reference = (month, relative, lattice)
        return self._reference

    def lattice_problem(self, month: str, relative: str, lattice: Lattice) -> str | None:
        """Why the month's file is not on the first month's lattice, in one line naming both; None when it is."""
        first_month, first_file, reference = self.reference_lattice()
        differences = lattice_differences(reference, lattice)
        if not differences:
            return None
        return (
            f"{month}: {self.shown(relative)} is not on the pixel lattice of the region's first month "
            f"({first_month}: {self.shown(first_file)}): " + "; ".join(differences)
        )

    def lattice_problems(self, months: list[str]) -> list[str]:
        """Every listed month among `months` checked against the first month's lattice, from headers (a local
        folder only: a remote file is checked when its month is read)."""
        if not isinstance(self.folder, LocalFolder):
            return []
        files = self.month_files()
        try:
            if self.reference_lattice() is None:
                return []
        except (LatticeMismatch, ValueError) as exc:
            return [str(exc)]
        problems = []
        for month in months:
            if month not in files:
                continue
            try:
                why = self.lattice_problem(month, files[month], self.file_lattice(month, files[month]))
            except ValueError as exc:
                why = str(exc)
            if why is not None:
                problems.append(why)
        return problems

    def listed_extents(self) -> list[tuple[float, float, float, float]]:
        """The extent of every month's file (headers of a local folder only; [] otherwise)."""
        if not isinstance(self.folder, LocalFolder):
            return []
        boxes = []
        for month, relative in self.month_files().items():
            try:
                boxes.append(self.file_lattice(month, relative).bounds)
            except ValueError:
                continue  # reported when its month is read
        return boxes

    def fetch(self, month: str, aoi_geometry) -> FetchedComposite:
        relative = self.month_files().get(month)
        if relative is None:
            raise MonthNotAvailable(
                f"{month}: no file named by the pattern {self.pattern!r} under {self.location} for this month"
            )
        _first_month, _first_file, reference = self.reference_lattice()
        grid = lattice_window(aoi_geometry.bounds, origin=(reference.west, reference.north), res=reference.res_x)
        shown = self.shown(relative)
        with self._open(month, relative) as ds:
            lattice = Lattice.of(ds)
            if (why := self.lattice_problem(month, relative, lattice)) is not None:
                raise LatticeMismatch(why)
            radiance_index = band_index(ds, self.radiance_band, "radiance_band", f"{month}: {shown}")
            radiance = _read_band(ds, radiance_index, lattice.grid, grid, f"{month}: {shown}")
            coverage = np.full(grid.shape, np.nan, dtype=np.float32)
            coverage_index = None
            if self.coverage_band is not None:
                coverage_index = band_index(ds, self.coverage_band, "coverage_band", f"{month}: {shown}")
                coverage = _read_band(ds, coverage_index, lattice.grid, grid, f"{month}: {shown}")
            descriptions = ds.descriptions
        if np.isnan(radiance).all():
            raise ValueError(f"{month}: {shown} does not cover the area of interest")
        outside = geometry_mask([aoi_geometry], out_shape=grid.shape, transform=grid.transform, invert=False)
        radiance[outside] = np.nan
        coverage[outside] = np.nan

        def named(index: int | None) -> str:
            if index is None:
                return "none"
            d = descriptions[index - 1]
            return f"{index} ({d})" if d else str(index)

        digest = self.digest(relative)
        return FetchedComposite(
            composite=Composite(radiance=radiance, coverage=coverage, grid=grid),
            version=f"{PurePosixPath(relative).name} sha256:{digest[:16]}",
            source_files=[shown],
            details={
                "file": shown,
                "sha256": digest,
                "radiance_band": named(radiance_index),
                "coverage_band": named(coverage_index),
                "lattice": reference.described(),
            },
        )


def _read_band(ds, index: int, fgrid: Grid, grid: Grid, shown: str) -> np.ndarray:
    """The band over `grid` (a window of the file's lattice): NaN where the file does not reach or has no
    data; the band's scale and offset applied."""
    out = np.full(grid.shape, np.nan, dtype=np.float32)
    row, col = grid.offset_in(fgrid)
    r0, c0 = max(row, 0), max(col, 0)
    r1, c1 = min(row + grid.height, fgrid.height), min(col + grid.width, fgrid.width)
    if r1 <= r0 or c1 <= c0:
        return out
    try:
        data = ds.read(index, window=Window(c0, r0, c1 - c0, r1 - r0), masked=True)
    except (rasterio.errors.RasterioError, CPLE_BaseError) as exc:
        raise ValueError(f"{shown}: truncated or damaged: {exc}") from exc
    values = data.astype(np.float32).filled(np.nan)
    scale, offset = ds.scales[index - 1], ds.offsets[index - 1]
    if scale not in (None, 1.0) or offset not in (None, 0.0):
        values = values * np.float32(scale if scale is not None else 1.0) + np.float32(offset or 0.0)
    out[r0 - row : r1 - row, c0 - col : c1 - col] = values
    return out
