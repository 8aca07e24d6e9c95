"""`sacnn-dagster run --regions DIR`: every region of a catalogue (config/catalogue.py), each on its own: its own
months, its outputs under `<storage>/<region name>/`, its asset keys under `<region name>/` in the one Dagster
instance at $DAGSTER_HOME, the same instance and keys as the catalogue's code location (defs/catalogue/), so the
UI shows what the command built and the sensors carry on from it. A bad region folder, or a region that fails, is
named and the others go on; the exit status is 1 when any did. Then `gvio_regions` puts them side by side."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import dagster as dg

from sacnn_dagster.cli.catalogue_report import CatalogueReport
from sacnn_dagster.cli.errors import step_errors
from sacnn_dagster.cli.run import RunReport, ensure_dagster_home, run_region
from sacnn_dagster.cli.summary import QUIET_CONSOLE
from sacnn_dagster.config.catalogue import Catalogue, outside_range
from sacnn_dagster.defs.asset_keys import RegionKeys
from sacnn_dagster.defs.catalogue.gvio_regions import GVIO_REGIONS, GVIO_REGIONS_JOB, newest_row
from sacnn_dagster.defs.catalogue.location import DEFAULT_STORAGE, catalogue_repository, region_storage
from sacnn_dagster.defs.resources.credentials import CredentialsResource
from sacnn_dagster.defs.resources.storage_for_root import endpoint_url_from_environment, output_storage
from sacnn_dagster.io.download import AuthenticationError, DownloadError
from sacnn_dagster.io.s3_catalogue import open_catalogue

#: What stops one region without stopping the others: bad input found before its first run, a source that kept
#: failing, a machine that cannot write its outputs.
REGION_FAILURES = (ValueError, OSError, AuthenticationError, DownloadError)


def over_regions(
    report: CatalogueReport,
    start: str | None,
    end: str | None,
    storage_root: str | None,
    echo: Callable[[str], None],
    run_one: Callable[[str, Path, str, dg.DagsterInstance], object],
    failures: tuple[type[BaseException], ...],
) -> None:
    """`run_one(region name, region folder, its storage root, the instance)` for every region of `report`'s
    catalogue with a month in `start`..`end`, one after the other, all in the instance at $DAGSTER_HOME; its
    result into `report.reports`, `failures` into `report.errors`, the regions outside the range into
    `report.skipped`."""
    catalogue = report.catalogue
    ensure_dagster_home()
    instance = dg.DagsterInstance.get()
    for bad in catalogue.bad:
        echo(f"BAD REGION FOLDER {bad.line()}")
    for index, (name, region) in enumerate(catalogue.regions.items(), 1):
        echo(f"[{index}/{len(catalogue.regions)}] region {name} ({region.root.name}/)")
        if outside_range(region, start, end):
            report.skipped.append(name)
            echo(f"  skipped: its months ({region.start}..{region.end or 'on'}) are outside {start or ''}..{end or ''}")
            continue
        try:
            report.reports[name] = run_one(name, region.root, region_storage(storage_root, name), instance)
        except failures as error:
            report.errors[name] = str(error)
            echo(f"  FAILED region {name}: {error}")


class RegionsReport(CatalogueReport):
    """`run --regions`: each region's RunReport."""


def run_regions(
    catalogue_dir: str | os.PathLike,
    only: list[str] | None = None,
    start: str | None = None,
    end: str | None = None,
    storage_root: str | None = None,
    echo: Callable[[str], None] = print,
) -> RegionsReport:
    """Run every region of the catalogue (or those in `only`) one after the other, each over its own months
    (clipped to `start`..`end`)."""
    report = RegionsReport(open_catalogue(catalogue_dir, only))

    def run_one(name: str, root: Path, storage: str, instance: dg.DagsterInstance) -> RunReport:
        keys = RegionKeys.of_catalogue_region(name)
        return run_region(root, start, end, storage, instance=instance, echo=echo, keys=keys)

    over_regions(report, start, end, storage_root, echo, run_one, REGION_FAILURES)
    if report.reports:
        side_by_side(report.catalogue, storage_root, dg.DagsterInstance.get(), echo)
    return report


def print_regions_summary(report: RegionsReport, echo: Callable[[str], None] = print) -> None:
    echo(f"Regions: {len(report.catalogue.regions)} in {report.catalogue.source}, {len(report.catalogue.bad)} bad")
    for name, run in report.reports.items():
        echo(
            f"  {name}: {len(run.months_materialized)} month(s) of features, {len(run.months_estimated)} estimated, "
            f"{len(run.months_without_composite)} without a composite, {len(run.failures)} failure(s)"
        )
    for name, error in report.errors.items():
        echo(f"  {name}: FAILED before any run: {error}")
    for name in report.skipped:
        echo(f"  {name}: skipped, no month in the range")
    for bad in report.catalogue.bad:
        echo(f"  {bad.folder.name}/: BAD REGION FOLDER: {bad.reason}")
    if report.failed:
        echo(f"FAILED region(s): {', '.join(report.failed)}")


def side_by_side(catalogue: Catalogue, storage_root: str | None, instance: dg.DagsterInstance, echo) -> None:
    """Materialize `gvio_regions` (the catalogue repository's asset, as its sensor does under a daemon) over every
    region of the catalogue with estimates stored."""
    repository = catalogue_repository(catalogue, catalogue.names, catalogue.bad, storage_root)
    result = repository.get_job(GVIO_REGIONS_JOB).execute_in_process(
        instance=instance, run_config=QUIET_CONSOLE, raise_on_error=False
    )
    if not result.success:
        echo(f"gvio_regions: FAILED: {'; '.join(step_errors(result))} (run {result.run_id})")
        return
    metadata = result.asset_materializations_for_node(GVIO_REGIONS)[0].metadata
    months = f"{metadata['first_month'].value}..{metadata['last_month'].value}"
    echo(f"gvio_regions: {metadata['months'].value} month(s) {months} side by side in {metadata['path'].value}")


def latest_estimate(name: str, storage_root: str | None) -> str:
    """`YYYY-MM: <value> [<lower>, <upper>] (<model>)` of the region's newest month with an estimate (local or
    S3 storage); `none` when there is none yet."""
    storage = output_storage(
        storage_root or DEFAULT_STORAGE, CredentialsResource.from_environment(), endpoint_url_from_environment()
    )
    row = newest_row(name, storage.under(name))
    if row is None:
        return "none"
    return f"{row['month']}: {row['estimate']:.1f} [{row['lower']:.1f}, {row['upper']:.1f}] ({row['model']})"
