"""`sacnn-dagster backfill --regions DIR`: a Dagster asset backfill per region of a catalogue, one region after
the other, each in the region's own instance (`$DAGSTER_HOME/regions/<region name>/`, as `run --regions`) with
its outputs under `<storage>/<region name>/`; a bad folder or a failed region is named and the others go on."""

from __future__ import annotations

import os
from collections.abc import Callable

import dagster as dg

from sacnn_dagster.cli.backfill import DaemonStopped, backfill_region
from sacnn_dagster.cli.catalogue_report import CatalogueReport
from sacnn_dagster.cli.regions import region_home, region_storage
from sacnn_dagster.cli.run import ensure_dagster_home
from sacnn_dagster.config.catalogue import load_catalogue, outside_range
from sacnn_dagster.io.download import AuthenticationError, DownloadError


class RegionsBackfillReport(CatalogueReport):
    """`backfill --regions`: each region's BackfillReport."""

    def lines(self) -> list[str]:
        out = [f"Regions: {len(self.catalogue.regions)} in {self.catalogue.root}, {len(self.catalogue.bad)} bad"]
        for name, report in self.reports.items():
            out.append(
                f"  {name}: {len(report.months_done)} month(s) backfilled, {len(report.failed_months)} failed, "
                f"{len(report.months_without_composite)} without a composite, "
                f"backfill(s) {', '.join(b.backfill_id for b in report.backfills)}"
            )
            out += [f"    FAILED {month} {cause}" for month, cause in sorted(report.failed_months.items())]
            out += [f"    FAILED {error}" for error in report.errors]
        out += [f"  {name}: FAILED: {error}" for name, error in self.errors.items()]
        out += [f"  {name}: skipped, no month in the range" for name in self.skipped]
        out += [f"  {b.folder.name}/: BAD REGION FOLDER: {b.reason}" for b in self.catalogue.bad]
        if self.failed:
            out.append(f"FAILED region(s): {', '.join(self.failed)}")
        return out


def backfill_regions(
    catalogue_dir: str | os.PathLike,
    only: list[str] | None = None,
    start: str | None = None,
    end: str | None = None,
    storage_root: str | None = None,
    echo: Callable[[str], None] = print,
) -> RegionsBackfillReport:
    catalogue = load_catalogue(catalogue_dir, only)
    report = RegionsBackfillReport(catalogue)
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
                report.reports[name] = backfill_region(
                    region.root, start, end, region_storage(storage_root, name), echo=echo, instance=instance
                )
            except (ValueError, OSError, AuthenticationError, DownloadError, DaemonStopped) as error:
                report.errors[name] = str(error)
                echo(f"  FAILED region {name}: {error}")
    return report
