"""The region's night lights checked as a whole before any month runs, from names and headers only (cheap).

Why: a boundary far from every composite used to end in "0 with a composite" and exit 0, and a month half a
pixel off the others was accepted and broke a later step with a broadcast error naming no month. Both are
bad input a person must fix; told at the door, nothing is written and no run is spent on them.
"""

from __future__ import annotations

from sacnn_dagster.geo.grid import Grid
from sacnn_dagster.nightlights.composite_reader import UnreadableComposite, layer_grid, off_lattice
from sacnn_dagster.nightlights.eog_names import group_tiles, tile_bounds
from sacnn_dagster.nightlights.geotiff_source import GeoTiffSource
from sacnn_dagster.nightlights.source import EogNamedSource, NightlightSource

Bounds = tuple[float, float, float, float]


class RegionInputError(ValueError):
    """The region's inputs cannot work together; the message has one line per problem, each naming the files."""


def _shown(b: Bounds) -> str:
    return f"lon {b[0]:.4f}..{b[2]:.4f}, lat {b[1]:.4f}..{b[3]:.4f}"


def _overlaps(a: Bounds, b: Bounds) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _union(boxes: list[Bounds]) -> Bounds:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _bounds(grid: Grid) -> Bounds:
    return (grid.west, grid.north - grid.height * grid.res, grid.west + grid.width * grid.res, grid.north)


def _cheap(layer) -> bool:
    """Whether the layer's header can be read without decompressing anything (a plain GeoTIFF): inside a
    multi-GB .tgz or .tif.gz, GDAL would read the stream up to it. Those are checked when their month is read."""
    return not layer.gdal_path.startswith(("/vsitar/", "/vsigzip/"))


def _listed_extents(source: EogNamedSource) -> list[Bounds]:
    """The extent of every composite listed: from the radiance file's header in a local folder (one per
    version, the real cut), else the nominal extent its tile name gives (no download, no decompression)."""
    local = source.local_folder()
    boxes = []
    for tiles in source.listed_tiles().values():
        for tile in tiles:
            radiance = group_tiles([(local / tile.radiance.file, tile.name)])[0].radiance if local else None
            if radiance is None or not _cheap(radiance):
                boxes.append(tile_bounds(tile.name.tile))
                continue
            try:
                boxes.append(_bounds(layer_grid(radiance)))
            except (UnreadableComposite, ValueError):
                continue  # a broken file is passed over when its month is read, and reported then
    return boxes


def boundary_problems(source: NightlightSource, boundary: Bounds) -> list[str]:
    """The boundary must overlap the composites the source lists (all months together)."""
    if isinstance(source, GeoTiffSource):
        boxes = source.listed_extents()
    elif isinstance(source, EogNamedSource):
        boxes = _listed_extents(source)
    else:
        return []
    if not boxes or any(_overlaps(boundary, b) for b in boxes):
        return []
    return [
        f"the region's boundary ({_shown(boundary)}) overlaps none of the night-light composites under "
        f"{source.location} ({len(boxes)} file(s), together {_shown(_union(boxes))}): a boundary in the wrong "
        "place (swapped longitude and latitude?) or composites of another area"
    ]


def lattice_problems(source: NightlightSource, months: list[str]) -> list[str]:
    """Every month's files on the region's pixel lattice (its first month's): from headers, local folders only
    (a remote file would have to be downloaded; its month is checked when it is read). A geotiff source's
    lattice is its first month's, whatever it is: EOG's or not."""
    if isinstance(source, GeoTiffSource):
        return source.lattice_problems(months)
    if not isinstance(source, EogNamedSource) or source.local_folder() is None:
        return []
    reference = source.reference_lattice()
    if reference is None:
        return []
    lattice, named = reference
    problems = []
    for month in months:
        choice = source.choose(month)
        if choice is None:
            continue
        for tile in source.local_choice(month, choice).tiles:
            for layer in (tile.radiance, tile.coverage):
                if layer is None or not _cheap(layer):
                    continue
                try:
                    why = off_lattice(layer_grid(layer), lattice)
                except (UnreadableComposite, ValueError):
                    continue  # reported when the month is read (an older version may be used instead)
                if why is not None:
                    off = f"not on the region's pixel lattice (that of {named})"
                    problems.append(f"{month}: {layer.file}: {off}: {why}")
    return problems


def check_region(source: NightlightSource, boundary: Bounds, months: list[str]) -> None:
    """Raise RegionInputError naming every problem found before any month runs: the boundary away from every
    composite, a month's file off the region's pixel lattice."""
    problems = boundary_problems(source, boundary) + lattice_problems(source, months)
    if problems:
        raise RegionInputError("\n".join(problems))
