"""Dagster's overhead in a full-range asset backfill: its wall time against the sum of its steps' own
durations (the issue's target: overhead below a third of the wall time).

    .venv/bin/python benchmarks/backfill_overhead.py [--region DIR] [--full] [--repeats 3] [--stock-daemon]

Builds the small demo region (30 months; --full: the 108-month demo) unless --region is given. Each repeat
uses a fresh Dagster instance and output folder (nothing is reused, the model is trained each time) and a
daemon that is already heartbeating, as in a deployment, so its start-up is not counted; then one asset
backfill of every asset over every month is launched as `sacnn-dagster backfill` launches it, and followed
until it ends.

- wall: from the launch to the end of the backfill, as the instance records them;
- compute: the sum, over the backfill's runs, of each step's duration (its start to its end event): the
  assets' own work, their metadata and checks included;
- overhead: wall - compute, and its share of the wall time.
Per run: the wait from its creation to its start (the daemon's look, the queue, the process start and the
code location load) and its length against its steps.

--stock-daemon: Dagster's own `dagster-daemon run` (a look every 30 s) instead of the daemon that
`sacnn-dagster backfill` starts (every 2 s), for comparison.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg

from sacnn_dagster.cli.backfill import DaemonForInstance, follow, launch_backfill, target_subset
from sacnn_dagster.defs.automation.settings import AUTOMATION_ENV
from sacnn_dagster.defs.code_location import build_definitions
from sacnn_dagster.defs.dagster_private import BACKFILL_ID_TAG
from sacnn_dagster.demo import DemoSpec, make_demo_region


def wait_for_heartbeat(instance: dg.DagsterInstance, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while "BACKFILL" not in instance.get_daemon_heartbeats():
        if time.monotonic() > deadline:
            raise SystemExit("no daemon heartbeat")
        time.sleep(0.5)


def measure(instance: dg.DagsterInstance, backfill_id: str) -> dict:
    backfill = instance.get_backfill(backfill_id)
    records = instance.get_run_records(dg.RunsFilter(tags={BACKFILL_ID_TAG: backfill_id}))
    runs = []
    for record in sorted(records, key=lambda r: r.create_timestamp):
        steps = sum(
            s.end_time - s.start_time
            for s in instance.get_run_step_stats(record.dagster_run.run_id)
            if s.end_time and s.start_time
        )
        runs.append(
            {
                "assets": ", ".join(sorted(k.to_user_string() for k in record.dagster_run.asset_selection or [])),
                "wait": record.start_time - record.create_timestamp.timestamp(),
                "length": record.end_time - record.start_time,
                "steps": steps,
            }
        )
    wall = backfill.backfill_end_timestamp - backfill.backfill_timestamp
    compute = sum(r["steps"] for r in runs)
    return {
        "wall": wall,
        "compute": compute,
        "overhead": wall - compute,
        "share": (wall - compute) / wall,
        "runs": runs,
        "status": backfill.status.value,
    }


def one_backfill(region: Path, work: Path, stock_daemon: bool) -> dict:
    home, out = work / "home", work / "out"
    home.mkdir(parents=True)
    env = {**os.environ, "DAGSTER_HOME": str(home), "SACNN_REGION": str(region), "SACNN_STORAGE": str(out)}
    defs = build_definitions(region, str(out))
    graph = defs.resolve_asset_graph()
    months = defs.resolve_assets_def("ntl_composite").partitions_def.get_partition_keys()
    stock = None
    with dg.DagsterInstance.from_config(str(home)) as instance:
        if stock_daemon:
            command = [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-m", "sacnn_dagster.definitions"]
            # the sensors would launch runs of their own for the demo region
            env[AUTOMATION_ENV] = "stopped"
            stock = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_for_heartbeat(instance)
        with DaemonForInstance(instance, region, str(out), lambda line: None) as daemon:
            daemon.ensure()  # starts the daemon `sacnn-dagster backfill` starts, unless the stock one runs
            wait_for_heartbeat(instance)
            backfill_id = launch_backfill(instance, graph, target_subset(graph, months, set()), "benchmark")
            follow(instance, graph, backfill_id, sys.stderr, daemon)
            result = measure(instance, backfill_id)
        if stock is not None:
            stock.terminate()
            stock.wait(60)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--region", type=Path)
    parser.add_argument("--full", action="store_true", help="the 108-month demo instead of the 30-month one")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--stock-daemon", action="store_true", help="Dagster's own dagster-daemon (30 s look)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        region = args.region
        if region is None:
            region = Path(tmp) / "region"
            make_demo_region(region, DemoSpec() if args.full else DemoSpec.small())
        results = []
        for i in range(args.repeats):
            r = one_backfill(region.resolve(), Path(tmp) / f"backfill{i}", args.stock_daemon)
            results.append(r)
            print(
                f"backfill {i + 1} ({r['status']}, load average {os.getloadavg()[0]:.1f}): wall {r['wall']:.1f} s, "
                f"compute {r['compute']:.1f} s, overhead {r['overhead']:.1f} s = {100 * r['share']:.0f} %"
            )
            for run in r["runs"]:
                print(
                    f"    {run['assets']:<60} wait {run['wait']:5.1f} s, run {run['length']:6.1f} s, "
                    f"steps {run['steps']:6.1f} s"
                )
    print(
        f"\nmedian of {len(results)}: "
        + ", ".join(f"{k} {statistics.median(r[k] for r in results):.1f} s" for k in ("wall", "compute", "overhead"))
        + f", overhead share {100 * statistics.median(r['share'] for r in results):.0f} %"
    )


if __name__ == "__main__":
    main()
