"""Black Marble VNP46A3 tiles for tests, laid out like the real HDF5 files (HDF-EOS5 grid, same group,
dataset and attribute names, StructMetadata.0, lat/lon vectors) but cheap to build: every dataset is
2400 x 2400 and chunked, and the pixels not painted explicitly come from the HDF5 fill value of the dataset
(unwritten chunks take no room), so a tile is well under 100 kB and builds in milliseconds.

Pixel values follow from the global Black Marble lattice (pixel edges on round degrees, 1/240 degree), so a
test can predict the value at any longitude/latitude without reading the file back with the code under
test: `global_pixel`, `pattern_raw`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

TILE = 2400
RES = 1.0 / 240.0
DATA_FIELDS = "HDFEOS/GRIDS/VIIRS_Grid_DNB_2d/Data Fields"
LAYERS = ("AllAngle_Composite_Snow_Free", "NearNadir_Composite_Snow_Free")

#: Background (unpainted) values: radiance in the file's raw units, observation count, quality.
BACKGROUND_RAW = {"002": 0.25, "001": 3}
BACKGROUND_NUM = 5
BACKGROUND_QUALITY = 0


@dataclass(frozen=True)
class Collection:
    """How a collection stores the composite: collection 2 (archive set 5200) float32 with scale 1,
    collection 1 (5000) uint16 tenths. The offset attribute is spelled `offset` in collection 2 files (as
    in the real VNP46A4 h28v06 002 tile another project mirrored) and CF's `add_offset` here for collection
    1, so both spellings are exercised."""

    dtype: str
    fill: float
    scale: float
    offset_attribute: str


COLLECTIONS = {
    "002": Collection("float32", -999.9, 1.0, "offset"),
    "001": Collection("uint16", 65535, 0.1, "add_offset"),
}


@dataclass(frozen=True)
class Pixel:
    """One pixel set explicitly (raw file values; None keeps the painted/background value)."""

    lon: float
    lat: float
    raw: float | None = None
    num: int | None = None
    quality: int | None = None


@dataclass
class TileSpec:
    h: int
    v: int
    year: int = 2014
    doy: int = 1
    collection: str = "002"
    stamp: str = "2024104121212"
    #: lon/lat box painted with `pattern_raw` (the rest keeps the background).
    paint: tuple[float, float, float, float] | None = None
    pixels: list[Pixel] = field(default_factory=list)
    #: (row, col) in the tile, radiance (physical, NaN = fill), observation count: a block painted as
    #: given (collection 2 only), e.g. a demo region's composite re-published as a Black Marble tile.
    block: tuple[int, int, np.ndarray, np.ndarray] | None = None

    @property
    def name(self) -> str:
        return f"VNP46A3.A{self.year}{self.doy:03d}.h{self.h:02d}v{self.v:02d}.{self.collection}.{self.stamp}.h5"


def global_pixel(lon: float, lat: float) -> tuple[int, int]:
    """(row, col) of the pixel containing lon/lat on the global Black Marble lattice."""
    return math.floor((90.0 - lat) / RES), math.floor((lon + 180.0) / RES)


def pattern_raw(row, col, collection: str = "002"):
    """The raw value painted at global pixel (row, col): distinct along both axes."""
    row, col = np.asarray(row), np.asarray(col)
    if collection == "001":
        return ((col % 1000) + 10 * (row % 100) + 1).astype(np.uint16)
    return ((col % 1000) + (row % 1000) / 1000.0).astype(np.float32)


def physical(raw, collection: str = "002") -> np.float32:
    """What a reader must make of a raw value (scale and offset of the collection)."""
    c = COLLECTIONS[collection]
    return np.float32(float(raw) * c.scale)


def _struct_metadata(spec: TileSpec, fields: dict[str, str]) -> bytes:
    """HDF-EOS5 StructMetadata.0 as the real tiles carry it: a GEO grid whose corners are packed DMS
    degrees (DDDMMMSSS.SS, so 120 degrees = 120000000.0), which GDAL turns into the tile's transform."""
    west, north = -180 + 10 * spec.h, 90 - 10 * spec.v
    objects = "".join(
        f'\t\t\tOBJECT=DataField_{i}\n\t\t\t\tDataFieldName="{name}"\n\t\t\t\tDataType={dtype}\n'
        f"\t\t\t\tDimList=({dims})\n\t\t\t\tMaxdimList=({dims})\n\t\t\tEND_OBJECT=DataField_{i}\n"
        for i, (name, (dtype, dims)) in enumerate(fields.items(), start=1)
    )
    text = (
        "GROUP=SwathStructure\nEND_GROUP=SwathStructure\nGROUP=GridStructure\n\tGROUP=GRID_1\n"
        '\t\tGridName="VIIRS_Grid_DNB_2d"\n\t\tXDim=2400\n\t\tYDim=2400\n'
        f"\t\tUpperLeftPointMtrs=({west * 1e6:.6f},{north * 1e6:.6f})\n"
        f"\t\tLowerRightMtrs=({(west + 10) * 1e6:.6f},{(north - 10) * 1e6:.6f})\n"
        "\t\tProjection=HE5_GCTP_GEO\n\t\tGridOrigin=HE5_HDFE_GD_UL\n"
        '\t\tGROUP=Dimension\n\t\t\tOBJECT=Dimension_1\n\t\t\t\tDimensionName="YDim"\n\t\t\t\tSize=2400\n'
        '\t\t\tEND_OBJECT=Dimension_1\n\t\t\tOBJECT=Dimension_2\n\t\t\t\tDimensionName="XDim"\n'
        "\t\t\t\tSize=2400\n\t\t\tEND_OBJECT=Dimension_2\n\t\tEND_GROUP=Dimension\n"
        f"\t\tGROUP=DataField\n{objects}\t\tEND_GROUP=DataField\n"
        "\t\tGROUP=MergedFields\n\t\tEND_GROUP=MergedFields\n\tEND_GROUP=GRID_1\nEND_GROUP=GridStructure\n"
        "GROUP=PointStructure\nEND_GROUP=PointStructure\nGROUP=ZaStructure\nEND_GROUP=ZaStructure\nEND\n"
    )
    return text.encode().ljust(32000, b"\0")  # a fixed 32000-byte string, as HDF-EOS writes it


def _grid_dataset(group, name: str, dtype, background, fill, attrs: dict):
    ds = group.create_dataset(
        name, shape=(TILE, TILE), dtype=dtype, chunks=(240, 240), compression="gzip", fillvalue=background
    )
    ds.attrs["_FillValue"] = np.array([fill], dtype=dtype)
    for key, value in attrs.items():
        ds.attrs[key] = np.bytes_(value.encode()) if isinstance(value, str) else np.array([value])
    return ds


def write_tile(folder: Path, spec: TileSpec) -> Path:
    """Write the tile as `folder/<its LAADS name>` and return the path."""
    c = COLLECTIONS[spec.collection]
    path = folder / spec.name
    path.parent.mkdir(parents=True, exist_ok=True)
    fields: dict[str, tuple[str, str]] = {}
    native = {"float32": "H5T_NATIVE_FLOAT", "uint16": "H5T_NATIVE_USHORT", "uint8": "H5T_NATIVE_UCHAR"}
    with h5py.File(path, "w") as f:
        west, north = -180 + 10 * spec.h, 90 - 10 * spec.v
        for key, value in {
            "ShortName": "VNP46A3",
            "LocalGranuleID": spec.name,
            "HorizontalTileNumber": f"{spec.h:02d}",
            "VerticalTileNumber": f"{spec.v:02d}",
        }.items():
            f.attrs[key] = np.bytes_(value.encode())
        for key, value in {
            "WestBoundingCoord": west,
            "EastBoundingCoord": west + 10,
            "NorthBoundingCoord": north,
            "SouthBoundingCoord": north - 10,
        }.items():
            f.attrs[key] = np.float64(value)
        group = f.create_group(DATA_FIELDS)
        radiance_attrs = {"scale_factor": c.scale, c.offset_attribute: 0.0, "units": "nWatts/(cm^2 sr)"}
        for layer in LAYERS:
            rad = _grid_dataset(
                group, layer, c.dtype, BACKGROUND_RAW[spec.collection], c.fill, {**radiance_attrs, "long_name": layer}
            )
            num = _grid_dataset(
                group,
                f"{layer}_Num",
                "uint16",
                BACKGROUND_NUM,
                65535,
                {"scale_factor": 1.0, c.offset_attribute: 0.0, "units": "Number of observations"},
            )
            _grid_dataset(group, f"{layer}_Std", c.dtype, BACKGROUND_RAW[spec.collection], c.fill, radiance_attrs)
            qual = _grid_dataset(group, f"{layer}_Quality", "uint8", BACKGROUND_QUALITY, 255, {"units": "No units"})
            for suffix, dtype in (("", c.dtype), ("_Num", "uint16"), ("_Std", c.dtype), ("_Quality", "uint8")):
                fields[layer + suffix] = (native[dtype], '"YDim","XDim"')
            if layer == LAYERS[1]:
                _paint(spec, rad, num, qual)
            else:  # another angle, so reading the wrong layer shows
                rad[:8, :8] = np.full((8, 8), 1, dtype=c.dtype)
        centres = (np.arange(TILE) + 0.5) * RES
        group.create_dataset("lat", data=(north - centres).astype(np.float32))
        group.create_dataset("lon", data=(west + centres).astype(np.float32))
        fields["lat"] = ("H5T_NATIVE_FLOAT", '"YDim"')
        fields["lon"] = ("H5T_NATIVE_FLOAT", '"XDim"')
        info = f.create_group("HDFEOS INFORMATION")
        info.attrs["HDFEOSVersion"] = np.bytes_(b"HDFEOS_5.1.15")
        info.create_dataset("StructMetadata.0", data=np.array(_struct_metadata(spec, fields), dtype="S32000"))
    return path


def _paint(spec: TileSpec, rad, num, qual) -> None:
    row0, col0 = TILE * spec.v, TILE * spec.h
    if spec.paint is not None:
        west, south, east, north = spec.paint
        r0, c0 = global_pixel(west, north)
        r1, c1 = global_pixel(east, south)
        r0, r1 = max(r0, row0), min(r1 + 1, row0 + TILE)
        c0, c1 = max(c0, col0), min(c1 + 1, col0 + TILE)
        if r1 > r0 and c1 > c0:
            rows, cols = np.mgrid[r0:r1, c0:c1]
            rad[r0 - row0 : r1 - row0, c0 - col0 : c1 - col0] = pattern_raw(rows, cols, spec.collection)
    if spec.block is not None:
        r, c, radiance, count = spec.block
        window = np.s_[r : r + radiance.shape[0], c : c + radiance.shape[1]]
        missing = ~np.isfinite(radiance)
        rad[window] = np.where(missing, COLLECTIONS[spec.collection].fill, radiance).astype(np.float32)
        num[window] = np.where(missing | ~np.isfinite(count), 65535, count).astype(np.uint16)
        qual[window] = np.where(missing, 255, 0).astype(np.uint8)
    for p in spec.pixels:
        r, c = global_pixel(p.lon, p.lat)
        if not (row0 <= r < row0 + TILE and col0 <= c < col0 + TILE):
            continue
        for ds, value in ((rad, p.raw), (num, p.num), (qual, p.quality)):
            if value is not None:
                ds[r - row0, c - col0] = value
