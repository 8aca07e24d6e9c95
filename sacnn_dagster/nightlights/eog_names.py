"""EOG VIIRS DNB monthly composite file names: parsing, and the rule that picks one composite per month.

Names look like
    SVDNB_npp_20140101-20140131_75N060E_vcmcfg_v10_c201402101200.avg_rade9h.tif
    SVDNB_npp_20170101-20170131_global_vcmcfg_v10_c201702241223.avg_rade9h.tif.gz   (untiled layout)
    SVDNB_npp_20150301-20150331_75N060E_vcmslcfg_v10_c201505191245.tgz               (tile archive)
    SVDNB_j01_20220801-20220831_75N060E_vcmcfg_v10_c202209101200.avg_rade9h.tif      (NOAA-20)
The processing stamp `c…` changes when EOG reprocesses a month, so it is the composite's version.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from pathlib import Path

_NAME = re.compile(
    r"^SVDNB_(?P<satellite>npp|j01|j02)_(?P<first>\d{8})-(?P<last>\d{8})_(?P<tile>global|\d{2}[NS]\d{3}[EW])_"
    r"(?P<config>vcmcfg|vcmslcfg)_v10_c(?P<stamp>\d{12})"
    r"(?:\.(?P<layer>avg_rade9h\.masked|avg_rade9h|cf_cvg|cvg)\.tif(?P<gz>\.gz)?|(?P<tgz>\.tgz))$"
)

RADIANCE_LAYERS = ("avg_rade9h", "avg_rade9h.masked")  # preference order
COVERAGE_LAYER = "cf_cvg"  # cloud-free coverage; plain `cvg` counts cloudy views too and is not used


@dataclass(frozen=True)
class CompositeName:
    """What an EOG file name says about the file."""

    satellite: str
    month: str
    tile: str
    config: str
    stamp: str
    layer: str | None  # None for a .tgz tile archive, which holds every layer
    gzipped: bool

    @property
    def stem(self) -> str:
        """The name without layer and extension; archives name their members `{stem}.{layer}.tif`."""
        y, m = self.month.split("-")
        last = calendar.monthrange(int(y), int(m))[1]
        return f"SVDNB_{self.satellite}_{y}{m}01-{y}{m}{last:02d}_{self.tile}_{self.config}_v10_c{self.stamp}"


def parse_composite_name(name: str) -> CompositeName | None:
    """Parse an EOG file name; None if it is not one. A name that matches but whose dates do not span
    exactly one calendar month raises, naming the file (a monthly pipeline must not guess)."""
    m = _NAME.match(name)
    if not m:
        return None
    first, last = m.group("first"), m.group("last")
    y, mo = int(first[:4]), int(first[4:6])
    month_last = calendar.monthrange(y, mo)[1] if 1 <= mo <= 12 else -1
    if first[6:] != "01" or last != f"{y:04d}{mo:02d}{month_last:02d}":
        raise ValueError(f"{name}: dates {first}-{last} do not span one calendar month")
    return CompositeName(
        satellite=m.group("satellite"),
        month=f"{y:04d}-{mo:02d}",
        tile=m.group("tile"),
        config=m.group("config"),
        stamp=m.group("stamp"),
        layer=m.group("layer"),
        gzipped=bool(m.group("gz")),
    )


def tile_bounds(tile: str) -> tuple[float, float, float, float]:
    """Nominal (west, south, east, north) of an EOG tile name such as 75N060E (120 x 75 degrees)."""
    if tile == "global":
        return (-180.0, -65.0, 180.0, 75.0)
    lat = int(tile[:2]) * (1 if tile[2] == "N" else -1)
    lon = int(tile[3:6]) * (1 if tile[6] == "E" else -1)
    return (float(lon), float(lat - 75), float(lon + 120), float(lat))


@dataclass(frozen=True)
class LayerSource:
    """One raster layer of one tile: the file on disk and the path GDAL opens (inside .gz / .tgz)."""

    file: Path
    gdal_path: str


@dataclass(frozen=True)
class TileComposite:
    """Radiance (and coverage when published) of one tile of one composite version."""

    name: CompositeName
    radiance: LayerSource
    coverage: LayerSource | None


def _layer_source(file: Path, parsed: CompositeName, layer: str) -> LayerSource:
    if parsed.layer is None:  # member of a tile archive, read in place
        return LayerSource(file, f"/vsitar/{file}/{parsed.stem}.{layer}.tif")
    return LayerSource(file, f"/vsigzip/{file}" if parsed.gzipped else str(file))


def group_tiles(files: list[tuple[Path, CompositeName]]) -> list[TileComposite]:
    """Pair radiance and coverage files of the same (satellite, tile, config, stamp)."""
    by_version: dict[tuple, dict[str, tuple[Path, CompositeName]]] = {}
    for path, parsed in files:
        key = (parsed.satellite, parsed.month, parsed.tile, parsed.config, parsed.stamp)
        layers = by_version.setdefault(key, {})
        if parsed.layer is None:
            for layer in (*RADIANCE_LAYERS[:1], COVERAGE_LAYER):
                layers.setdefault(layer, (path, parsed))
        else:
            layers[parsed.layer] = (path, parsed)
    tiles = []
    for key in sorted(by_version):
        layers = by_version[key]
        radiance_layer = next((lay for lay in RADIANCE_LAYERS if lay in layers), None)
        if radiance_layer is None:
            continue  # coverage without radiance is of no use
        r_path, r_name = layers[radiance_layer]
        cov = layers.get(COVERAGE_LAYER)
        tiles.append(
            TileComposite(
                name=r_name,
                radiance=_layer_source(r_path, r_name, radiance_layer),
                coverage=_layer_source(cov[0], cov[1], COVERAGE_LAYER) if cov else None,
            )
        )
    return tiles


@dataclass(frozen=True)
class CompositeChoice:
    """The composite chosen for a month and what it was chosen from."""

    month: str
    satellite: str
    config: str
    tiles: tuple[TileComposite, ...]
    alternatives: tuple[str, ...]  # the other versions that existed, as satellite/config/stamp

    @property
    def stamp(self) -> str:
        return max(t.name.stamp for t in self.tiles)

    @property
    def version(self) -> str:
        """A string that changes whenever the chosen input changes (data version / sensor run key)."""
        return "+".join(f"{t.name.satellite}:{t.name.tile}:{t.name.config}:c{t.name.stamp}" for t in self.tiles)

    @property
    def source_files(self) -> list[str]:
        return sorted(
            {str(t.radiance.file) for t in self.tiles} | {str(t.coverage.file) for t in self.tiles if t.coverage}
        )


def choose_composite(
    month: str,
    tiles: list[TileComposite],
    aoi_bounds: tuple[float, float, float, float],
    satellites: tuple[str, ...],
    configs: tuple[str, ...],
) -> CompositeChoice | None:
    """The documented rule: among tiles overlapping the area of interest, the first satellite in the
    region's preference list that has any, then the first configuration, then for each tile the newest
    processing stamp (a reprocessed month replaces the old one). None when the month has nothing usable."""
    w, s, e, n = aoi_bounds

    def overlaps(t: TileComposite) -> bool:
        tw, ts, te, tn = tile_bounds(t.name.tile)
        return tw < e and te > w and ts < n and tn > s

    usable = [t for t in tiles if t.name.month == month and overlaps(t)]
    for satellite in satellites:
        for config in configs:
            candidates = [t for t in usable if t.name.satellite == satellite and t.name.config == config]
            if not candidates:
                continue
            newest: dict[str, TileComposite] = {}
            for t in candidates:
                if t.name.tile not in newest or t.name.stamp > newest[t.name.tile].name.stamp:
                    newest[t.name.tile] = t
            # a global file covers everything: prefer it only when it is newer than every tile
            chosen = tuple(newest[k] for k in sorted(newest))
            if "global" in newest and len(newest) > 1:
                g = newest["global"]
                others = tuple(t for t in chosen if t.name.tile != "global")
                chosen = (g,) if g.name.stamp >= max(t.name.stamp for t in others) else others
            alternatives = tuple(
                sorted(
                    f"{t.name.satellite}/{t.name.config}/{t.name.tile}/c{t.name.stamp}"
                    for t in usable
                    if t not in chosen
                )
            )
            return CompositeChoice(month, satellite, config, chosen, alternatives)
    return None
