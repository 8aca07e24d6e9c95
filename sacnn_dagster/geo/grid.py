"""The pixel lattice of a night-light product and windows on it.

EOG and Black Marble both publish on a 15 arc-second (1/240 degree) lattice, but offset differently: EOG's
pixel *centres* sit on round multiples of 1/240 (its tile edges are half a pixel off the round degree),
Black Marble's pixel *edges* do. A `Grid` is a north-up window on such a lattice; windows are always snapped
outward to whole pixels of the source so that nothing is ever resampled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from affine import Affine

EOG_RES = 1.0 / 240.0
#: West and north outer edges of EOG's global lattice (pixel centres on multiples of 1/240 degree).
EOG_ORIGIN = (-180.0 - EOG_RES / 2.0, 75.0 + EOG_RES / 2.0)
#: West and north outer edges of NASA Black Marble's global lattice (pixel edges on round degrees).
BLACK_MARBLE_ORIGIN = (-180.0, 90.0)
#: Fraction of a pixel two lattices may disagree by and still count as the same lattice (float noise in
#: GeoTIFF/netCDF georeferencing).
LATTICE_TOLERANCE = 1e-3


@dataclass(frozen=True)
class Grid:
    """A north-up raster window: outer west/north edge, pixel size in degrees, shape."""

    west: float
    north: float
    res: float
    width: int
    height: int

    @property
    def transform(self) -> Affine:
        return Affine(self.res, 0.0, self.west, 0.0, -self.res, self.north)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return (self.west, self.north - self.height * self.res, self.west + self.width * self.res, self.north)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.height, self.width)

    @classmethod
    def from_transform(cls, transform: Affine, width: int, height: int) -> Grid:
        if transform.b != 0 or transform.d != 0 or transform.e >= 0:
            raise ValueError(f"not a north-up raster: transform {tuple(transform)[:6]}")
        if not math.isclose(transform.a, -transform.e, rel_tol=1e-6):
            raise ValueError(f"pixels are not square: {transform.a} x {-transform.e}")
        return cls(west=transform.c, north=transform.f, res=transform.a, width=width, height=height)

    def offset_in(self, other: Grid) -> tuple[int, int]:
        """(row, col) of this grid's top-left pixel inside `other`, which must share its lattice."""
        if not math.isclose(self.res, other.res, rel_tol=1e-6):
            raise ValueError(f"pixel sizes differ: {self.res} vs {other.res}")
        col = (self.west - other.west) / other.res
        row = (other.north - self.north) / other.res
        if abs(col - round(col)) > LATTICE_TOLERANCE or abs(row - round(row)) > LATTICE_TOLERANCE:
            raise ValueError(
                f"grids are not on the same pixel lattice (offset {row:.4f} rows, {col:.4f} cols); "
                "resampling is never done silently"
            )
        return int(round(row)), int(round(col))

    def xy_to_rowcol(self, lng, lat):
        """Pixel indices (row, col) containing the points; may be outside [0, shape)."""
        import numpy as np

        col = np.floor((np.asarray(lng, dtype=np.float64) - self.west) / self.res).astype(np.int64)
        row = np.floor((self.north - np.asarray(lat, dtype=np.float64)) / self.res).astype(np.int64)
        return row, col

    def pixel_centres(self):
        """Longitudes of column centres and latitudes of row centres."""
        import numpy as np

        lng = self.west + (np.arange(self.width) + 0.5) * self.res
        lat = self.north - (np.arange(self.height) + 0.5) * self.res
        return lng, lat


def lattice_window(
    bounds: tuple[float, float, float, float],
    origin: tuple[float, float] = EOG_ORIGIN,
    res: float = EOG_RES,
) -> Grid:
    """The smallest window of the lattice (origin = its outer west/north edge) covering `bounds`."""
    west, south, east, north = bounds
    ox, oy = origin
    eps = LATTICE_TOLERANCE
    col0 = math.floor((west - ox) / res + eps)
    col1 = math.ceil((east - ox) / res - eps)
    row0 = math.floor((oy - north) / res + eps)
    row1 = math.ceil((oy - south) / res - eps)
    return Grid(west=ox + col0 * res, north=oy - row0 * res, res=res, width=col1 - col0, height=row1 - row0)
