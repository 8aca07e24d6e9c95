"""Night-light sources: where monthly composites come from. The local region folder is the first one;
remote sources (EOG over HTTPS, Black Marble, S3) implement the same two questions: which months exist in
which version, and which files make up a month's composite."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sacnn_dagster.core.eog_names import (
    CompositeChoice,
    TileComposite,
    choose_composite,
    group_tiles,
    parse_composite_name,
)


@dataclass
class LocalNightlightSource:
    """EOG-named composites anywhere below a folder (.tif, .tif.gz, tile .tgz archives)."""

    folder: Path
    satellites: tuple[str, ...]
    configs: tuple[str, ...]
    aoi_bounds: tuple[float, float, float, float]
    _tiles: dict[str, list[TileComposite]] | None = field(default=None, init=False, repr=False)
    ignored: list[str] = field(default_factory=list, init=False)

    def _scan(self) -> dict[str, list[TileComposite]]:
        if self._tiles is None:
            files = []
            if not self.folder.is_dir():
                raise FileNotFoundError(f"night-light folder {self.folder} does not exist")
            for dirpath, _dirs, names in os.walk(self.folder):
                for name in sorted(names):
                    parsed = parse_composite_name(name)
                    if parsed is None:
                        self.ignored.append(str(Path(dirpath) / name))
                    else:
                        files.append((Path(dirpath) / name, parsed))
            by_month: dict[str, list[TileComposite]] = {}
            for tile in group_tiles(files):
                by_month.setdefault(tile.name.month, []).append(tile)
            self._tiles = by_month
        return self._tiles

    def choose(self, month: str) -> CompositeChoice | None:
        """The composite chosen for `month` by the documented rule, or None if the month has none yet."""
        return choose_composite(month, self._scan().get(month, []), self.aoi_bounds, self.satellites, self.configs)

    def available_months(self) -> dict[str, str]:
        """month -> version of the composite that would be chosen."""
        out = {}
        for month in sorted(self._scan()):
            choice = self.choose(month)
            if choice is not None:
                out[month] = choice.version
        return out
