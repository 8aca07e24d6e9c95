"""`sacnn-dagster backfill`: a real Dagster asset backfill, launched and followed from the command line.

The backfill is added to the instance the way the UI's "Materialize all" adds one (launch.py), so the UI's
backfills page lists it, and a dagster-daemon executes it: the one already heartbeating for the instance, or
one started here for the duration of the command and stopped afterwards (daemon.py, run as
`python -m sacnn_dagster.cli.backfill`). The command follows it with a progress bar (follow.py,
progress.py) and reads what failed from its runs (failures.py).

One bad month does not sink the backfill (region.py). Its monthly step writes every other month and fails
naming the bad one (defs/common/monthly.py). Dagster then counts everything downstream of that month as
failed, the model included (it learns from every month), so the command launches a second backfill with
what is left, without the failed months, and names them (report.py): each can be run again alone once its
input is fixed.
"""

from sacnn_dagster.cli.backfill.daemon import BACKFILL_TICK_S, DaemonForInstance, DaemonStopped, QuickBackfillDaemon
from sacnn_dagster.cli.backfill.follow import follow
from sacnn_dagster.cli.backfill.launch import launch_backfill, target_subset
from sacnn_dagster.cli.backfill.region import backfill_region
from sacnn_dagster.cli.backfill.report import BackfillOutcome, BackfillReport

__all__ = [
    "BACKFILL_TICK_S",
    "BackfillOutcome",
    "BackfillReport",
    "DaemonForInstance",
    "DaemonStopped",
    "QuickBackfillDaemon",
    "backfill_region",
    "follow",
    "launch_backfill",
    "target_subset",
]
