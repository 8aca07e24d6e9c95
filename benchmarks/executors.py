"""The small demo's wall time per executor ($SACNN_EXECUTOR), against the in-process executor measured in the
same run (README "Beyond one machine: executors").

    .venv/bin/python benchmarks/executors.py [--repeats 3] [--months 2019-07..2021-12]

Builds the small demo region (30 months), then for each executor runs the small demo's five jobs (statistics,
monthly features, model, monthly outputs, evaluation; each monthly job one run over the months) through the
instance as a deployment launches them (`dagster job execute`, which honours the executor; `sacnn-dagster run`
executes in process whatever the executor), into an output folder emptied before each repeat (nothing is
reused: the model is trained each time) and an instance of its own. Repeats go round the executors in turn, so
that a change of the machine's load falls on all of them alike; the table gives each one's median.

- in_process: the default, the steps one after the other in the run's process;
- multiprocess 2: a process per step, two at a time (`SACNN_MAX_CONCURRENT=2`);
- celery 1 / celery 2 workers: each step a Celery task (Redis on loopback as the broker, `redis-server` on
  PATH); the workers (concurrency 1 each) are started, and ready, before each repeat, so their start is not
  counted, but their first import of the code location (on their first task) is.

wall: the five runs, each from its command's start to its end (process start and code-location load included);
steps: the sum of the steps' own durations (start to end event, from the instance); overhead: wall - steps.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg

from sacnn_dagster.defs.code_location import (
    EVALUATION_JOB,
    FEATURES_JOB,
    MODEL_JOB,
    OUTPUTS_JOB,
    REFERENCE_JOB,
)
from sacnn_dagster.defs.dagster_private import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from sacnn_dagster.demo import DemoSpec, make_demo_region

ROOT = Path(__file__).parents[1]
BIN = Path(sys.executable).parent
#: (label, environment, Celery workers)
EXECUTORS = [
    ("in_process", {"SACNN_EXECUTOR": "in_process"}, 0),
    ("multiprocess 2", {"SACNN_EXECUTOR": "multiprocess", "SACNN_MAX_CONCURRENT": "2"}, 0),
    ("celery 1 worker", {"SACNN_EXECUTOR": "celery"}, 1),
    ("celery 2 workers", {"SACNN_EXECUTOR": "celery"}, 2),
]
INSTANCE_YAML = "telemetry:\n  enabled: false\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(folder: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, f"redis://127.0.0.1:{port}/0"
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("redis-server did not start (apt-get install -y redis-server)") from None
            time.sleep(0.1)


def start_workers(count: int, env: dict[str, str], folder: Path) -> list[subprocess.Popen]:
    (folder / "dagster_celery_config.py").write_text("task_acks_late = True\nworker_prefetch_multiplier = 1\n")
    env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(folder), env.get("PYTHONPATH")]))}
    workers = []
    for i in range(1, count + 1):
        log = folder / f"w{i}.log"
        with log.open("wb") as out:
            workers.append(
                subprocess.Popen(
                    [str(BIN / "celery"), "-A", "dagster_celery.app", "worker", "-n", f"w{i}@%h", "-c", "1"]
                    + ["--prefetch-multiplier", "1", "-Q", "dagster", "--loglevel", "INFO", "--without-gossip"]
                    + ["--without-mingle"],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        deadline = time.monotonic() + 120
        while b" ready." not in log.read_bytes():
            if time.monotonic() > deadline or workers[-1].poll() is not None:
                stop(workers)  # none left behind
                raise SystemExit(f"Celery worker w{i} did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.2)
    return workers


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def run_demo(env: dict[str, str], first: str, last: str) -> float:
    """The five jobs through `dagster job execute`; the wall seconds."""
    months = f'{{"{ASSET_PARTITION_RANGE_START_TAG}": "{first}", "{ASSET_PARTITION_RANGE_END_TAG}": "{last}"}}'
    jobs = [(REFERENCE_JOB, "{}"), (FEATURES_JOB, months), (MODEL_JOB, "{}"), (OUTPUTS_JOB, months)]
    jobs.append((EVALUATION_JOB, "{}"))
    start = time.monotonic()
    for job, tags in jobs:
        done = subprocess.run(
            [str(BIN / "dagster"), "job", "execute", "-m", "sacnn_dagster.definitions", "-a", "defs", "-j", job]
            + ["--tags", tags],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise SystemExit(f"{env['SACNN_EXECUTOR']} {job} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return time.monotonic() - start


def step_seconds(home: Path) -> float:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        return sum(
            s.end_time - s.start_time
            for run in instance.get_runs()
            for s in instance.get_run_step_stats(run.run_id)
            if s.end_time and s.start_time
        )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--months", default="2019-07..2021-12", help="FIRST..LAST")
    args = parser.parse_args(argv)
    first, last = args.months.split("..")
    with tempfile.TemporaryDirectory(prefix="sacnn-executors-") as tmp:
        work = Path(tmp)
        region = work / "region"
        make_demo_region(region, DemoSpec.small())
        redis, broker = start_redis(work)
        base = {k: v for k, v in os.environ.items() if not k.startswith("SACNN_")}
        base |= {"SACNN_REGION": str(region), "SACNN_CACHE": str(work / "cache")}
        base |= {"SACNN_CELERY_BROKER": broker, "CELERY_BROKER_URL": broker, "CELERY_RESULT_BACKEND": broker}
        results: dict[str, list[tuple[float, float]]] = {label: [] for label, _, _ in EXECUTORS}
        try:
            for repeat in range(1, args.repeats + 1):
                for label, settings, count in EXECUTORS:
                    folder = work / label.replace(" ", "_")
                    storage, home = folder / "out", folder / f"home{repeat}"
                    shutil.rmtree(storage, ignore_errors=True)
                    home.mkdir(parents=True)
                    (home / "dagster.yaml").write_text(INSTANCE_YAML)
                    env = {**base, **settings, "SACNN_STORAGE": str(storage), "DAGSTER_HOME": str(home)}
                    workers = start_workers(count, env, folder) if count else []
                    try:
                        wall = run_demo(env, first, last)
                    finally:
                        stop(workers)
                    results[label].append((wall, step_seconds(home)))
                    print(
                        f"repeat {repeat} {label}: wall {wall:.1f} s, steps {results[label][-1][1]:.1f} s",
                        file=sys.stderr,
                    )
        finally:
            redis.terminate()
            redis.wait()
    base_wall = statistics.median(w for w, _ in results["in_process"])
    print(f"\nSmall demo ({first}..{last}), five jobs through `dagster job execute`, median of {args.repeats}:\n")
    print("| executor | wall | steps | overhead | wall against in_process |")
    print("| --- | --- | --- | --- | --- |")
    for label, runs in results.items():
        wall, steps = statistics.median(w for w, _ in runs), statistics.median(s for _, s in runs)
        print(f"| {label} | {wall:.0f} s | {steps:.0f} s | {wall - steps:.0f} s | {wall / base_wall:.2f}× |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
