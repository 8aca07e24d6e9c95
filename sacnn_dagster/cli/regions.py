"""`sacnn-dagster run --regions DIR` and `status --regions DIR`: every region of a catalogue (config/catalogue.py),
each on its own: its own months, its outputs under `<storage>/<region name>/`, its own Dagster instance at
`$DAGSTER_HOME/regions/<region name>/` (each region's code location has the same asset keys, so one instance
would mix their months; README "Many regions"). A bad region folder, or a region that fails, is named and the
others go on; the exit status is 1 when any did."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pandas as pd

from sacnn_dagster.cli.catalogue_report import CatalogueReport
from sacnn_dagster.cli.regions_outputs import write_regions_outputs
from sacnn_dagster.cli.run import INSTANCE_YAML, RunReport, ensure_dagster_home, run_region
from sacnn_dagster.config.catalogue import load_catalogue, outside_range
from sacnn_dagster.defs.code_location import default_storage_root
from sacnn_dagster.io.download import AuthenticationError, DownloadError
from sacnn_dagster.io.layout import month_file, months_stored

#: Without --storage: the folder that holds the one-region defaults `./sacnn-output/<region name>/`.
DEFAULT_STORAGE = str(Path(default_storage_root("region")).parent)


def region_home(home: Path, name: str) -> Path:
    """The Dagster instance of one region of a catalogue (created with the same dagster.yaml as `run`'s)."""
    path = home / "regions" / name
    path.mkdir(parents=True, exist_ok=True)
    if not (path / "dagster.yaml").exists():
        (path / "dagster.yaml").write_text(INSTANCE_YAML)
    return path


def region_storage(storage_root: str | None, name: str) -> str:
    """`<storage>/<region name>/`; without --storage, the one-region default `./sacnn-output/<region name>/`."""
    if storage_root is None:
        return default_storage_root(name)
    return f"{storage_root.rstrip('/')}/{name}"


#: What stops one region without stopping the others: bad input found before its first run, a source that kept
#: failing, a machine that cannot write its outputs.
REGION_FAILURES = (ValueError, OSError, AuthenticationError, DownloadError)


def over_regions(
    report: CatalogueReport,
    start: str | None,
    end: str | None,
    storage_root: str | None,
    echo: Callable[[str], None],
    run_one: Callable[[Path, str, dg.DagsterInstance], object],
    failures: tuple[type[BaseException], ...],
) -> None:
    """`run_one(region folder, its storage root, its instance)` for every region of `report`'s catalogue with a
    month in `start`..`end`, one after the other, each in its own instance; its result into `report.reports`,
    `failures` into `report.errors`, the regions outside the range into `report.skipped`."""
    catalogue = report.catalogue
    home = ensure_dagster_home()
    for bad in catalogue.bad:
        echo(f"BAD REGION FOLDER {bad.line()}")
    for index, (name, region) in enumerate(catalogue.regions.items(), 1):
        echo(f"[{index}/{len(catalogue.regions)}] region {name} ({region.root.name}/)")
        if outside_range(region, start, end):
            report.skipped.append(name)
            echo(f"  skipped: its months ({region.start}..{region.end or 'on'}) are outside {start or ''}..{end or ''}")
            continue
        with dg.DagsterInstance.from_config(str(region_home(home, name))) as instance:
            try:
                report.reports[name] = run_one(region.root, region_storage(storage_root, name), instance)
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
    report = RegionsReport(load_catalogue(catalogue_dir, only))

    def run_one(root: Path, storage: str, instance: dg.DagsterInstance) -> RunReport:
        return run_region(root, start, end, storage, instance=instance, echo=echo)

    over_regions(report, start, end, storage_root, echo, run_one, REGION_FAILURES)
    storages = {name: region_storage(storage_root, name) for name in report.reports}
    write_regions_outputs(storages, storage_root or DEFAULT_STORAGE, echo)
    return report


def print_regions_summary(report: RegionsReport, echo: Callable[[str], None] = print) -> None:
    echo(f"Regions: {len(report.catalogue.regions)} in {report.catalogue.root}, {len(report.catalogue.bad)} bad")
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


def latest_estimate(storage_root: str) -> str:
    """`YYYY-MM: <value> [<lower>, <upper>] (<model>)` of the newest month with an estimate, from a local
    storage root; `none` when there is none yet."""
    root = Path(storage_root)
    folder = root / "gvio_estimate"
    keys = [f"gvio_estimate/{p.name}" for p in folder.glob("*.parquet")] if folder.is_dir() else []
    months = months_stored(keys, "gvio_estimate")
    if not months:
        return "none"
    table = pd.read_parquet(root / month_file("gvio_estimate", months[-1]))
    selected = table[table["selected"]] if table["selected"].any() else table.head(1)
    row = selected.iloc[0]
    return f"{months[-1]}: {row['estimate']:.1f} [{row['lower']:.1f}, {row['upper']:.1f}] ({row['model']})"
