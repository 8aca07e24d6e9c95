"""A region's health in one summary: per monitored asset the newest month built, the months missing, the months
whose build failed and whether it is overdue; the checks failing now; the last failed run. `status` prints it
(and exits non-zero when it is not ok), `region_health` shows it in the UI."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sacnn_dagster.config.months import month_range
from sacnn_dagster.monitoring.freshness import Verdict
from sacnn_dagster.monitoring.messages import months_text


@dataclass(frozen=True)
class AssetHealth:
    verdict: Verdict
    missing: tuple[str, ...]
    """Months up to the month due that are not built (gaps included); none for the statistics, whose gaps are
    the statistics office's."""
    failed: tuple[str, ...] = ()
    """Months whose latest run of the asset failed and that no run has built since."""

    @property
    def row(self) -> tuple[str, str, str, str, str]:
        v = self.verdict
        due = f"{v.due.month} by {v.due.since_text}" if v.due else "nothing due yet"
        state = "ok" if v.passed else f"OVERDUE: {v.due.month} due since {v.due.since_text}"
        missing = months_text(self.missing) if self.missing else "-"
        failed = months_text(self.failed) if self.failed else "-"
        return (v.asset, v.latest or "-", missing, failed, state if v.due else due)


@dataclass(frozen=True)
class FailingCheck:
    asset: str
    check: str
    months: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class FailedRun:
    run_id: str
    job: str
    ended: str
    """When it ended, as text (UTC)."""


@dataclass(frozen=True)
class HealthSummary:
    region: str
    assets: tuple[AssetHealth, ...]
    failing_checks: tuple[FailingCheck, ...] = ()
    last_failed_run: FailedRun | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def overdue(self) -> list[AssetHealth]:
        return [a for a in self.assets if not a.verdict.passed]

    @property
    def ok(self) -> bool:
        """Nothing overdue and no check failing (a failed run alone is history: its months show as missing
        or its checks as failing when it left anything wrong)."""
        return not self.overdue and not self.failing_checks

    def lines(self) -> list[str]:
        rows = [("asset", "newest month", "missing", "failed", "state"), *(a.row for a in self.assets)]
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        out = [f"Region {self.region}: {'ok' if self.ok else 'NOT OK'}"]
        out += ["  " + "  ".join(c.ljust(w) for c, w in zip(r[:4], widths)) + "  " + r[4] for r in rows]
        if self.failing_checks:
            out.append("Failing checks:")
            out += [f"  {c.asset} {c.check}{_for(c.months)}: {c.description}" for c in self.failing_checks]
        else:
            out.append("Failing checks: none")
        run = self.last_failed_run
        out.append(f"Last failed run: {run.job} {run.run_id} ended {run.ended}" if run else "Last failed run: none")
        return out + list(self.notes)

    def markdown(self) -> str:
        """The same as `lines`, as a Markdown table and lists (the UI renders it)."""
        out = [
            f"**{self.region}: {'ok' if self.ok else 'NOT OK'}**",
            "",
            "| asset | newest month | missing | failed | state |",
        ]
        out.append("| --- | --- | --- | --- | --- |")
        out += ["| " + " | ".join(a.row) + " |" for a in self.assets]
        out += ["", "Failing checks:" if self.failing_checks else "Failing checks: none"]
        out += [f"- `{c.asset}` {c.check}{_for(c.months)}: {c.description}" for c in self.failing_checks]
        run = self.last_failed_run
        out += ["", f"Last failed run: {run.job} `{run.run_id}` ended {run.ended}" if run else "Last failed run: none"]
        return "\n".join(out)


def _for(months: Sequence[str]) -> str:
    return f" ({months_text(months)})" if months else ""


def missing_months(start: str, due: str | None, built: Sequence[str] | set[str]) -> tuple[str, ...]:
    """Months from `start` to `due` (inclusive) not in `built`."""
    if due is None:
        return ()
    have = set(built)
    return tuple(m for m in month_range(start, due) if m not in have)
