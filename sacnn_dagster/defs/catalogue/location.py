"""One code location for every region of a catalogue (`SACNN_REGIONS`): each region is a Dagster repository of its
own, with its own months, sensors (and their cursors), checks, model and jobs, its asset keys prefixed with its
name, its outputs under `<storage>/<region name>/`; the repository `catalogue` holds `region_catalogue` and
`gvio_regions`. Why repositories and prefixed keys (README "Many regions"): one `Definitions` takes one
resource per key, so two regions' `region` and `storage` cannot share it; the regions share one instance, which
keeps history by asset key, hence the prefix. A folder that cannot be served is logged and listed in
`region_catalogue`, and the other regions load."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from sacnn_dagster.config.catalogue import BadRegion, Catalogue
from sacnn_dagster.defs.asset_keys import RegionKeys
from sacnn_dagster.defs.automation.settings import default_status
from sacnn_dagster.defs.catalogue.gvio_regions import (
    GVIO_REGIONS,
    GVIO_REGIONS_JOB,
    build_gvio_regions,
    build_gvio_regions_sensor,
)
from sacnn_dagster.defs.catalogue.region_catalogue import catalogue_spec
from sacnn_dagster.defs.code_location import build_definitions
from sacnn_dagster.defs.executor import executor_from_environment
from sacnn_dagster.defs.resources.credentials import CredentialsResource
from sacnn_dagster.defs.resources.storage_for_root import endpoint_url_from_environment, output_storage
from sacnn_dagster.io.s3_catalogue import open_catalogue

log = logging.getLogger(__name__)

#: Without $SACNN_STORAGE: where a catalogue's regions keep their outputs, `./sacnn-output/<region name>/` as
#: one region's by default.
DEFAULT_STORAGE = "sacnn-output"
#: The repository of the catalogue's own assets.
CATALOGUE_REPOSITORY = "catalogue"


def repository_name(region_name: str) -> str:
    """Dagster names allow letters, digits and `_` only: `shanghai-pudong` is served as `shanghai_pudong`."""
    return re.sub(r"\W", "_", region_name)


def region_storage(storage_root: str | None, name: str) -> str:
    return f"{(storage_root or DEFAULT_STORAGE).rstrip('/')}/{name}"


@dataclass(frozen=True)
class CatalogueRegion:
    """A region as a catalogue's code location serves it: what another process (a daemon) needs to load it."""

    #: The catalogue ($SACNN_REGIONS): a folder or s3://bucket/prefix.
    catalogue: str
    name: str
    #: The catalogue's output root ($SACNN_STORAGE), None for the default.
    storage_root: str | None = None

    @property
    def keys(self) -> RegionKeys:
        return RegionKeys.of_catalogue_region(self.name)

    def environment(self) -> dict[str, str]:
        """The variables that make `sacnn_dagster.definitions` serve this region of the catalogue (paths made
        absolute: the daemon may start elsewhere)."""

        def absolute(place: str) -> str:
            return place if place.startswith("s3://") else str(Path(place).resolve())

        return {
            "SACNN_REGIONS": absolute(self.catalogue),
            "SACNN_REGION": self.name,
            "SACNN_STORAGE": absolute(self.storage_root or DEFAULT_STORAGE),
        }


def region_repository(name: str, folder: Path, storage_root: str | None) -> dg.RepositoryDefinition:
    defs = build_definitions(folder, region_storage(storage_root, name), RegionKeys.of_catalogue_region(name))
    return dg.create_repository_using_definitions_args(
        name=repository_name(name),
        assets=defs.assets,
        asset_checks=defs.asset_checks,
        jobs=defs.jobs,
        sensors=defs.sensors,
        schedules=defs.schedules,
        resources=defs.resources,
        executor=defs.executor,
    )


def catalogue_repository(catalogue: Catalogue, served: list[str], bad: list[BadRegion], storage_root: str | None):
    estimates = [RegionKeys.of_catalogue_region(name)("gvio_estimate") for name in served]
    job = dg.define_asset_job(GVIO_REGIONS_JOB, selection=[GVIO_REGIONS])
    return dg.create_repository_using_definitions_args(
        name=CATALOGUE_REPOSITORY,
        assets=[catalogue_spec(catalogue, served, bad), build_gvio_regions(served, estimates)],
        jobs=[job],
        sensors=[build_gvio_regions_sensor(estimates, job, default_status(CATALOGUE_REPOSITORY))],
        resources={
            "storage": output_storage(
                storage_root or DEFAULT_STORAGE, CredentialsResource.from_environment(), endpoint_url_from_environment()
            )
        },
        executor=executor_from_environment(),
    )


def catalogue_repositories(
    catalogue_root: str, storage_root: str | None = None, only: list[str] | None = None
) -> list[dg.RepositoryDefinition]:
    """A repository per usable region of the catalogue at `catalogue_root` (a folder or `s3://bucket/prefix`),
    or of the regions in `only` (by region or folder name), then the catalogue's repository."""
    catalogue = open_catalogue(catalogue_root, only)
    bad = list(catalogue.bad)
    repositories, served = [], []
    by_repository: dict[str, str] = {}
    for name, region in catalogue.regions.items():
        other = by_repository.setdefault(repository_name(name), name)
        if other != name:
            bad.append(
                BadRegion(region.root, f"region name {name!r} is served as {repository_name(name)}, as {other!r} is")
            )
            continue
        try:
            repositories.append(region_repository(name, region.root, storage_root))
        except (OSError, ValueError, dg.DagsterError) as error:  # a region.yaml Dagster refuses: that region only
            bad.append(BadRegion(region.root, str(error) or type(error).__name__))
            continue
        served.append(name)
    for folder in bad:
        log.warning("region folder not served, in catalogue %s: %s", catalogue_root, folder.line())
    return [*repositories, catalogue_repository(catalogue, served, bad, storage_root)]
