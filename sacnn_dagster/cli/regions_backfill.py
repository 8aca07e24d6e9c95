"""`sacnn-dagster backfill --regions DIR`: a Dagster asset backfill per region of a catalogue, one region after
the other, all in the instance at $DAGSTER_HOME with each region's asset keys under its name (as `run --regions`
and the catalogue's code location, which the backfill's daemon serves), its outputs under
`<storage>/<region name>/`; a bad folder or a failed region is named and the others go on."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import dagster as dg

from sacnn_dagster.cli.backfill import BackfillReport, DaemonStopped, backfill_region
from sacnn_dagster.cli.catalogue_report import CatalogueReport
from sacnn_dagster.cli.regions import REGION_FAILURES, over_regions
from sacnn_dagster.defs.catalogue.location import CatalogueRegion
from sacnn_dagster.io.s3_catalogue import open_catalogue


class RegionsBackfillReport(CatalogueReport):
    """`backfill --regions`: each region's BackfillReport."""

    def lines(self) -> list[str]:
        out = [f"Regions: {len(self.catalogue.regions)} in {self.catalogue.source}, {len(self.catalogue.bad)} bad"]
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
    catalogue_dir: str | os.PathLike,  # a folder, or s3://bucket/prefix
    only: list[str] | None = None,
    start: str | None = None,
    end: str | None = None,
    storage_root: str | None = None,
    echo: Callable[[str], None] = print,
) -> RegionsBackfillReport:
    report = RegionsBackfillReport(open_catalogue(catalogue_dir, only))

    def backfill_one(name: str, root: Path, storage: str, instance: dg.DagsterInstance) -> BackfillReport:
        member = CatalogueRegion(os.fspath(catalogue_dir), name, storage_root)
        return backfill_region(root, start, end, storage, echo=echo, instance=instance, member=member)

    over_regions(report, start, end, storage_root, echo, backfill_one, (*REGION_FAILURES, DaemonStopped))
    return report
