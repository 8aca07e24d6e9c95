"""The code location for one region of a catalogue (`SACNN_REGIONS` with `SACNN_REGION` naming the region): the
same definitions as for a region folder, the outputs under `<storage>/<region name>/` as `run --regions` writes
them. A code location serves one region: one Dagster `Definitions` refuses two regions' resources under one key
(README "Many regions", benchmarks/regions.py)."""

from __future__ import annotations

import logging
from pathlib import Path

from sacnn_dagster.config.catalogue import REGIONS_ENV, load_catalogue

log = logging.getLogger(__name__)


def catalogue_region(catalogue_dir: str, chosen: str | None, storage: str | None) -> tuple[Path, str]:
    """(the region folder, its storage root) of the region `chosen` (its name or folder name) in the catalogue;
    a `ValueError` naming the regions there (and the bad folders, with their reasons) when none is chosen or
    found."""
    catalogue = load_catalogue(catalogue_dir)
    for bad in catalogue.bad:
        log.warning("bad region folder in %s: %s", catalogue_dir, bad.line())
    by_folder = {region.root.name: name for name, region in catalogue.regions.items()}
    name = chosen if chosen in catalogue.regions else by_folder.get(chosen or "")
    if name is None:
        bad = "".join(f"; bad folder {b.line()}" for b in catalogue.bad)
        raise ValueError(
            f"{REGIONS_ENV}={catalogue_dir}: set SACNN_REGION to one of its regions ({', '.join(catalogue.names)})"
            f"{bad}; a code location serves one region, `sacnn-dagster run --regions` runs them all"
        )
    root = (storage or "sacnn-output").rstrip("/")
    return catalogue.regions[name].root, f"{root}/{name}"
