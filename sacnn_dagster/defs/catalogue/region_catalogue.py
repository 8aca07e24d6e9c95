"""`region_catalogue`: the catalogue as the code location read it (its regions, the folders that cannot be used
and why), shown in the UI; never materialized."""

from __future__ import annotations

import dagster as dg

from sacnn_dagster.config.catalogue import BadRegion, Catalogue
from sacnn_dagster.defs.code_location import OWNER

CATALOGUE_ASSET = "region_catalogue"
#: The UI's group of the catalogue's own assets (each region's assets are in their region's repository).
CATALOGUE_GROUP = "catalogue"


def catalogue_spec(catalogue: Catalogue, served: list[str], bad: list[BadRegion]) -> dg.AssetSpec:
    """`served`: the regions the code location serves; `bad`: the folders it cannot serve, with the reason."""
    rows = "\n".join(f"| `{b.folder.name}/` | {b.reason} |" for b in bad)
    return dg.AssetSpec(
        CATALOGUE_ASSET,
        group_name=CATALOGUE_GROUP,
        owners=[OWNER],
        description=(
            "The catalogue of region folders this code location serves, as read when it loaded: each region is a "
            "repository of its own in the code location (its assets under `<region name>/`), and the folders that "
            "cannot be used are listed with the reason. Adding or fixing a folder: reload the code location "
            "(Deployment > Reload). `sacnn-dagster status --regions` prints each region's health."
        ),
        metadata={
            "catalogue": dg.MetadataValue.text(catalogue.source),
            "regions": dg.MetadataValue.md("\n".join(f"- {name}" for name in served) or "none"),
            "region_count": dg.MetadataValue.int(len(served)),
            "bad folders": dg.MetadataValue.int(len(bad)),
            "bad folders and why": dg.MetadataValue.md(
                f"| folder | reason |\n| --- | --- |\n{rows}" if bad else "none"
            ),
        },
    )
