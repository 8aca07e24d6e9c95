"""The code location for one region of a catalogue (`SACNN_REGIONS` with `SACNN_REGION` naming the region): the
same definitions as for a region folder, the outputs under `<storage>/<region name>/` as `run --regions` writes
them, and `region_catalogue`, the catalogue as read (its regions, its bad folders and why) in the UI. A code
location serves one region: one Dagster `Definitions` refuses two regions' resources under one key (README "Many
regions", benchmarks/regions.py)."""

from __future__ import annotations

import logging
from pathlib import Path

import dagster as dg

from sacnn_dagster.config.catalogue import REGIONS_ENV, Catalogue, load_catalogue
from sacnn_dagster.defs.code_location import OWNER, build_definitions

log = logging.getLogger(__name__)

#: The asset that shows the catalogue in the UI (only in a code location started with SACNN_REGIONS).
CATALOGUE_ASSET = "region_catalogue"


def catalogue_region(catalogue_dir: str, chosen: str | None, storage: str | None) -> tuple[Path, str, Catalogue]:
    """(the region folder, its storage root, the catalogue) of the region `chosen` (its name, folder name or path); a
    `ValueError` naming the regions there (and the bad folders, with their reasons) when none is chosen or
    found."""
    catalogue = load_catalogue(catalogue_dir)
    for bad in catalogue.bad:
        log.warning("bad region folder in %s: %s", catalogue_dir, bad.line())
    by_folder = {region.root.name: name for name, region in catalogue.regions.items()}
    by_path = {str(region.root.resolve()): name for name, region in catalogue.regions.items()}
    name = chosen if chosen in catalogue.regions else by_folder.get(chosen or "")
    name = name or (by_path.get(str(Path(chosen).resolve())) if chosen else None)
    if name is None:
        bad = "".join(f"; bad folder {b.line()}" for b in catalogue.bad)
        raise ValueError(
            f"{REGIONS_ENV}={catalogue_dir}: set SACNN_REGION to one of its regions ({', '.join(catalogue.names)})"
            f"{bad}; a code location serves one region, `sacnn-dagster run --regions` runs them all"
        )
    root = (storage or "sacnn-output").rstrip("/")
    return catalogue.regions[name].root, f"{root}/{name}", catalogue


def catalogue_spec(catalogue: Catalogue) -> dg.AssetSpec:
    """The catalogue as the code location read it, shown in the UI; never materialized."""
    bad = "\n".join(f"| `{b.folder.name}/` | {b.reason} |" for b in catalogue.bad)
    return dg.AssetSpec(
        CATALOGUE_ASSET,
        group_name="catalogue",
        owners=[OWNER],
        description=(
            "The catalogue of region folders this code location's region belongs to, as read when the code "
            "location loaded: its regions, and the folders that cannot be used with the reason. Reload the code "
            "location after adding or fixing a folder. `sacnn-dagster run --regions` runs every region; "
            "`sacnn-dagster status --regions` tells each region's health."
        ),
        metadata={
            "catalogue": dg.MetadataValue.path(str(catalogue.root)),
            "regions": dg.MetadataValue.md("\n".join(f"- {name}" for name in catalogue.names) or "none"),
            "bad folders": dg.MetadataValue.int(len(catalogue.bad)),
            "bad folders and why": dg.MetadataValue.md(
                f"| folder | reason |\n| --- | --- |\n{bad}" if catalogue.bad else "none"
            ),
        },
    )


def catalogue_location(catalogue_dir: str, chosen: str | None, storage: str | None) -> dg.Definitions:
    region, root, catalogue = catalogue_region(catalogue_dir, chosen, storage)
    return dg.Definitions.merge(build_definitions(region, root), dg.Definitions(assets=[catalogue_spec(catalogue)]))
