"""Night-light sources: where monthly composites come from. Every source answers the same two questions:
which months exist in which version, and what is a month's radiance and coverage over the area.

- `EogNamedSource`: files under EOG's own names in an input folder (the region folder, an S3 prefix);
- `EogHttpSource` (`eog_http.py`): EOG's HTTPS tree, tiled or untiled;
- `BlackMarbleSource` (`black_marble.py`): NASA Black Marble VNP46A3 HDF5 tiles from LAADS.

`open_source.open_nightlight_source` builds the one named in region.yaml.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from sacnn_dagster.geo.grid import Grid
from sacnn_dagster.io.input_folder import InputFolder, LocalFolder
from sacnn_dagster.nightlights.composite_reader import Composite, UnreadableComposite, layer_grid, read_composite
from sacnn_dagster.nightlights.eog_names import (
    CompositeChoice,
    TileComposite,
    choose_composite,
    group_tiles,
    parse_composite_name,
)


class MonthNotAvailable(LookupError):
    """The source has no composite for this month (not published yet, or missing altogether)."""


@dataclass
class FetchedComposite:
    """A month's composite over the area, with where it came from."""

    composite: Composite
    #: Changes whenever the source's data for the month change (reprocessing): data version, run keys.
    version: str
    #: The files or URLs read (no secrets in them).
    source_files: list[str]
    #: Source-specific facts for the metadata: satellite, configuration, stamp, versions passed over, layer.
    details: dict[str, str] = field(default_factory=dict)
    #: Newer files of the month that could not be read (file -> why), passed over for an older version that
    #: could: reported in the metadata and by a warning check, never silently skipped.
    broken_files: dict[str, str] = field(default_factory=dict)


class NightlightSource(ABC):
    @property
    @abstractmethod
    def location(self) -> str:
        """Where the source reads from, for messages (never with a secret in it)."""

    @abstractmethod
    def available_months(self) -> dict[str, str]:
        """month (YYYY-MM) -> version of the composite that `fetch` would read."""

    @abstractmethod
    def fetch(self, month: str, aoi_geometry) -> FetchedComposite:
        """The month's radiance and coverage over the area (a shapely geometry, EPSG:4326); NaN outside
        it. Raises MonthNotAvailable when the source has nothing for the month."""

    def local_folder(self) -> Path | None:
        """The local folder the source lists, when it is one: a sensor can then keep the listing current
        by re-reading only the directories that changed (see versioning/source_scan.py) and hand it over with
        `use_listing`."""
        return None

    def use_listing(self, relative_paths: list[str]) -> None:
        """Take `relative_paths` (below `local_folder()`) as the folder's listing instead of listing it. Only a
        source whose `local_folder()` is a folder takes one (those override this); for any other it is a
        caller's mistake."""
        raise TypeError(f"{type(self).__name__} is not listed from a local folder: it takes no listing")

    def forget_listings(self, settled_before: str | None = None) -> None:  # noqa: B027 (a no-op by default)
        """Forget what was listed, so that the next `available_months` asks the source again: everything
        (None), or all but the folders of months before `settled_before` that held their files. A sensor
        keeps one source between its looks: the archive's months are re-read once a day, the new and recent
        ones every look (see versioning/source_scan.py)."""


class EogNamedSource(NightlightSource):
    """EOG-named composites anywhere below an input folder (.tif, .tif.gz, tile .tgz archives), chosen by
    the documented rule (satellite, then configuration, then newest stamp per tile). Remote folders are
    listed by name first; only the chosen files are fetched."""

    def __init__(
        self,
        folder: InputFolder,
        satellites: tuple[str, ...],
        configs: tuple[str, ...],
        aoi_bounds: tuple[float, float, float, float],
    ):
        self.folder = folder
        self.satellites = satellites
        self.configs = configs
        self.aoi_bounds = aoi_bounds
        self.ignored: list[str] = []
        self._tiles: dict[str, list[TileComposite]] | None = None
        self._lattice: tuple[Grid, str] | None = None

    @property
    def location(self) -> str:
        return self.folder.location

    def local_folder(self) -> Path | None:
        return self.folder.folder if isinstance(self.folder, LocalFolder) else None

    def use_listing(self, relative_paths: list[str]) -> None:
        self.ignored = []
        self._tiles = self._group(relative_paths)
        self._lattice = None

    def forget_listings(self, settled_before: str | None = None) -> None:  # noqa: B027 (a no-op by default)
        self._tiles = self._lattice = None
        forget = getattr(self.folder, "forget_listings", None)  # an S3 prefix is listed whole anyway
        if forget is not None:
            forget(settled_before)

    def _scan(self) -> dict[str, list[TileComposite]]:
        if self._tiles is None:
            self._tiles = self._group(self.folder.list_files())
        return self._tiles

    def _group(self, relative_paths: list[str]) -> dict[str, list[TileComposite]]:
        """The composites among these files, by month (files not named like EOG's are `ignored`)."""
        files = []
        for relative in relative_paths:
            parsed = parse_composite_name(PurePosixPath(relative).name)
            if parsed is None:
                self.ignored.append(relative)
            else:
                # a stand-in path until the file is fetched: choosing needs the names only
                files.append((Path(relative), parsed))
        by_month: dict[str, list[TileComposite]] = {}
        for tile in group_tiles(files):
            by_month.setdefault(tile.name.month, []).append(tile)
        return by_month

    def choose(self, month: str, passed_over: frozenset[str] = frozenset()) -> CompositeChoice | None:
        """The composite chosen for `month` by the documented rule, or None if the month has none yet, leaving
        out the versions with a file in `passed_over`. Its file paths are relative to the folder."""
        tiles = without(self._scan().get(month, []), passed_over)
        return choose_composite(month, tiles, self.aoi_bounds, self.satellites, self.configs)

    def listed_tiles(self) -> dict[str, list[TileComposite]]:
        """Every composite the source lists, by month, whatever area it covers (paths relative to the folder)."""
        return self._scan()

    def reference_lattice(self) -> tuple[Grid, str] | None:
        """The region's pixel lattice and the file it comes from: that of the first month's radiance that can
        be read (its header only); None when none can. Every month must lie on it."""
        if self._lattice is None:
            for month in sorted(self._scan()):
                choice = self.choose(month)
                if choice is None:
                    continue
                relative = str(choice.tiles[0].radiance.file)
                local = self.local_choice(month, choice)
                try:
                    self._lattice = (layer_grid(local.tiles[0].radiance), f"{self.location.rstrip('/')}/{relative}")
                    break
                except UnreadableComposite:
                    continue
        return self._lattice

    def local_choice(self, month: str, choice: CompositeChoice) -> CompositeChoice:
        """`choice` with local paths (a remote file is fetched here)."""
        local = [(self.folder.local_path(r), parse_composite_name(PurePosixPath(r).name)) for r in choice.source_files]
        chosen = choose_composite(month, group_tiles(local), self.aoi_bounds, (choice.satellite,), (choice.config,))
        assert chosen is not None
        return chosen

    def available_months(self) -> dict[str, str]:
        out = {}
        for month in sorted(self._scan()):
            choice = self.choose(month)
            if choice is not None:
                out[month] = choice.version
        return out

    def fetch(self, month: str, aoi_geometry) -> FetchedComposite:
        """The newest composite of the month that can be read: a newer file that cannot (zero bytes,
        truncated) is passed over for the older version, and reported in `broken_files`."""
        lattice, lattice_source = self.reference_lattice() or (None, "")
        broken: dict[str, str] = {}
        while True:
            choice = self.choose(month, frozenset(broken))
            if choice is None:
                if broken:
                    raise ValueError(f"{month}: no readable composite: " + "; ".join(broken.values()))
                raise MonthNotAvailable(
                    f"{month}: no night-light composite for this month under {self.location} "
                    "(not published yet, or named differently from EOG's pattern)"
                )
            local = self.local_choice(month, choice)
            try:
                composite = read_composite(local, aoi_geometry, lattice, lattice_source)
            except UnreadableComposite as exc:
                relative = {str(self.folder.local_path(r)): r for r in choice.source_files}.get(str(exc.file))
                if relative is None or relative in broken:
                    raise
                broken[relative] = str(exc)
                continue
            break
        relative = choice.source_files
        shown = {r: f"{self.location.rstrip('/')}/{r}" for r in broken}
        details = {
            "satellite": choice.satellite,
            "config": choice.config,
            "stamp": choice.stamp,
            "alternatives_not_chosen": ", ".join(choice.alternatives) or "none",
        }
        if broken:
            details["broken_files_passed_over"] = "; ".join(f"{shown[r]}: {why}" for r, why in broken.items())
        return FetchedComposite(
            composite=composite,
            version=choice.version,
            source_files=[f"{self.location.rstrip('/')}/{r}" for r in relative],
            details=details,
            broken_files={shown[r]: why for r, why in broken.items()},
        )


def without(tiles: list[TileComposite], files: frozenset[str]) -> list[TileComposite]:
    """The tile versions none of whose files is among `files`."""
    if not files:
        return tiles
    return [t for t in tiles if not ({str(t.radiance.file), str(t.coverage.file) if t.coverage else ""} & files)]
