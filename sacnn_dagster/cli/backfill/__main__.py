"""`python -m sacnn_dagster.cli.backfill`: the dagster-daemon that `DaemonForInstance` starts for a backfill.

An entry of its own (not `if __name__ == "__main__"` in daemon.py): `python -m` on a module that the package
already imports would run it a second time, as another module."""

from sacnn_dagster.cli.backfill.daemon import serve_daemon

serve_daemon()
