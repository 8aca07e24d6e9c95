"""What a command over a catalogue of regions reports, whatever it ran in each region (a run, a backfill)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sacnn_dagster.config.catalogue import Catalogue


@dataclass
class CatalogueReport:
    """`reports`: each region's own report (anything with `ok`), by name."""

    catalogue: Catalogue
    reports: dict = field(default_factory=dict)
    #: Regions that stopped before or outside their runs (bad input found by the preflight, a source that kept
    #: failing, a daemon that stopped).
    errors: dict[str, str] = field(default_factory=dict)
    #: Regions none of whose months lie in the range asked for.
    skipped: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[str]:
        """Every region (or bad folder) that failed, by name."""
        bad = [b.folder.name for b in self.catalogue.bad]
        return bad + sorted(self.errors) + [n for n, r in self.reports.items() if not r.ok]

    @property
    def ok(self) -> bool:
        return not self.failed
