"""What `sacnn-dagster backfill` reports: how each backfill ended, and the whole command's outcome."""

from __future__ import annotations

from dataclasses import dataclass, field

from sacnn_dagster.defs.dagster_private import AssetKeyPartitionKey, BulkActionStatus

#: How a backfill's end is told.
STATUS_WORDS = {
    BulkActionStatus.COMPLETED_SUCCESS: "done",
    BulkActionStatus.COMPLETED_FAILED: "done, with failures",
    BulkActionStatus.FAILED: "failed",
    BulkActionStatus.CANCELED: "canceled",
}


@dataclass
class BackfillOutcome:
    """How one backfill ended."""

    backfill_id: str
    status: BulkActionStatus
    #: What it materialized (asset key and month, or None for an unpartitioned asset).
    materialized: set[AssetKeyPartitionKey]
    #: month -> "asset: cause" for the months a monthly step failed on.
    failed_months: dict[str, str]
    #: Failures not tied to a month: a whole step or run, or the backfill itself.
    errors: list[str]

    @property
    def status_words(self) -> str:
        return STATUS_WORDS.get(self.status, self.status.value.lower())


@dataclass
class BackfillReport:
    months: list[str]
    months_without_composite: list[str]
    backfills: list[BackfillOutcome] = field(default_factory=list)
    #: Months of which every monthly asset was materialized.
    months_done: list[str] = field(default_factory=list)

    @property
    def failed_months(self) -> dict[str, str]:
        return {m: cause for b in self.backfills for m, cause in b.failed_months.items()}

    @property
    def errors(self) -> list[str]:
        return [e for b in self.backfills for e in b.errors]

    @property
    def ok(self) -> bool:
        return (
            bool(self.backfills)
            and self.backfills[-1].status == BulkActionStatus.COMPLETED_SUCCESS
            and not (self.failed_months or self.errors)
        )
