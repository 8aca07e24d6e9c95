"""A catalogue of regions: a folder whose subfolders are region folders in the inputs contract (README: "Many
regions"). Each subfolder is read on its own; one that cannot be read is kept with its reason, never raised, so
one bad region folder never takes the others down."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sacnn_dagster.config.region import RegionConfig, load_region

#: The environment variable naming a catalogue folder (the code location; `--regions DIR` on the command line).
REGIONS_ENV = "SACNN_REGIONS"


@dataclass(frozen=True)
class BadRegion:
    """A region folder of the catalogue that cannot be used, and why (the file and key, when known)."""

    folder: Path
    reason: str

    def line(self) -> str:
        return f"{self.folder.name}: {self.reason}"


@dataclass
class Catalogue:
    #: The local folder read (for an s3:// catalogue, its mirror: io/s3_catalogue.py).
    root: Path
    #: The usable regions by name (region.yaml's `name`), in folder order.
    regions: dict[str, RegionConfig] = field(default_factory=dict)
    bad: list[BadRegion] = field(default_factory=list)
    #: The catalogue as the user named it (the s3:// URL of a mirrored one), for messages; `root` when not given.
    source: str = ""

    def __post_init__(self) -> None:
        self.source = self.source or str(self.root)

    @property
    def names(self) -> list[str]:
        return list(self.regions)


def _reason(error: Exception) -> str:
    return str(error) or type(error).__name__


def load_catalogue(root: str | Path, only: list[str] | None = None, source: str | None = None) -> Catalogue:
    """The regions under `root` (each subfolder with anything in it; hidden folders skipped). `only` keeps the
    regions named (by region name or folder name); a name that matches none is a `ValueError`. Two folders with
    the same region name: the second is reported bad (their outputs would share `<storage>/<name>/`). `source`:
    what the messages call the catalogue when `root` is a copy of it (the s3:// URL of a mirror)."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"regions folder {source or root} does not exist")
    catalogue = Catalogue(root=root, source=source or str(root))
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    for folder in folders:
        if only and folder.name not in only and not _named(folder, only):
            continue
        try:
            region = load_region(folder)
        except (OSError, ValueError) as error:  # BadInput is a ValueError: file, key, line and column
            catalogue.bad.append(BadRegion(folder, _reason(error)))
            continue
        if region.name in catalogue.regions:
            other = catalogue.regions[region.name].root.name
            catalogue.bad.append(BadRegion(folder, f"region name {region.name!r} is already used by {other}/"))
            continue
        catalogue.regions[region.name] = region
    if only:
        known = set(catalogue.regions) | {r.root.name for r in catalogue.regions.values()}
        known |= {b.folder.name for b in catalogue.bad}
        unknown = [name for name in only if name not in known]
        if unknown:
            raise ValueError(f"--only {', '.join(unknown)}: no such region in {catalogue.source}")
    return catalogue


def _named(folder: Path, only: list[str]) -> bool:
    """Whether the region in `folder` is named in `only` by its region.yaml `name` (read cheaply: the full
    validation comes after)."""
    try:
        return load_region(folder).name in only
    except (OSError, ValueError):
        return False


def outside_range(region: RegionConfig, start: str | None, end: str | None) -> bool:
    """Whether none of the region's months (its `start`, to its `end` or on) lies in `start`..`end`: such a
    region is skipped by `run --regions --start/--end`, not failed (regions start and end at different months)."""
    return bool((end and end < region.start) or (start and region.end and start > region.end))
