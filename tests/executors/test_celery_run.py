"""A distributed run for real: the small demo's jobs executed by the Celery executor, each step a task taken by
one of two Celery workers (their own processes, concurrency 1), Redis as the broker, the instance on PostgreSQL
and the outputs on S3 (the session's moto server). Nothing is handed from one step to the next but through the
output storage, so the outputs must be the same bytes as the same jobs executed in process into a local folder;
the instance's engine events name the worker of every step, and both workers must have executed some.

The jobs go through the instance as a deployment launches them: `dagster job execute` loads
`sacnn_dagster.definitions` with the environment's region, storage and `SACNN_EXECUTOR=celery`; the workers load
the same module with the same environment (the broker's URL, and its password, from the environment only).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg

from sacnn_dagster.defs.code_location import FEATURES_JOB, MODEL_JOB, OUTPUTS_JOB, REFERENCE_JOB, build_definitions
from sacnn_dagster.defs.dagster_private import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from tests.servers.redis import PASSWORD as REDIS_PASSWORD

ROOT = Path(__file__).parents[2]
BIN = Path(sys.executable).parent
#: Twelve months: enough published values (10) to train the models, few enough for a short test.
FIRST, LAST = "2020-01", "2020-12"
RANGE = {ASSET_PARTITION_RANGE_START_TAG: FIRST, ASSET_PARTITION_RANGE_END_TAG: LAST}
#: The jobs in the order a full run goes through them, and the tags of each run.
JOBS = [(REFERENCE_JOB, {}), (FEATURES_JOB, RANGE), (MODEL_JOB, {}), (OUTPUTS_JOB, RANGE)]
WORKERS = ("w1", "w2")
WORKER_START_TIMEOUT_S = 90
#: What Celery's engine event of a step names its worker by (dagster_celery/tasks.py).
CELERY_WORKER_METADATA = "Celery worker"
#: The workers' Celery settings, as `dagster-celery worker start` would write them (a module on their path): a
#: task is acknowledged when it is done, so a busy worker holds no second task that the idle one could take.
WORKER_CELERY_CONFIG = "task_acks_late = True\nworker_prefetch_multiplier = 1\n"


def digests(files: dict[str, bytes]) -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}


def local_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def start_worker(name: str, env: dict[str, str], folder: Path) -> tuple[subprocess.Popen, Path]:
    log = folder / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "celery"), "-A", "dagster_celery.app", "worker", "-n", f"{name}@%h", "--concurrency", "1"]
            + ["--prefetch-multiplier", "1", "-Q", "dagster", "--loglevel", "INFO", "--without-gossip"]
            + ["--without-mingle"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the worker and its pool's child: one process group, stopped together
        )
    return process, log


def wait_ready(workers: list[tuple[subprocess.Popen, Path]]) -> None:
    deadline = time.monotonic() + WORKER_START_TIMEOUT_S
    for process, log in workers:
        while b" ready." not in log.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"Celery worker did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)


def stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)  # warm shutdown: no task is running by now
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def execute_in_process_locally(region: Path, storage: Path, home: Path) -> None:
    """The same jobs and months in the test's process (the in-process executor), into a local folder."""
    defs = build_definitions(region, str(storage))
    home.mkdir()
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        for job, tags in JOBS:
            result = defs.resolve_job_def(job).execute_in_process(instance=instance, tags=tags, raise_on_error=False)
            assert result.success, f"{job} failed in process"


def test_celery_run_on_two_workers_gives_the_in_process_bytes(
    small_demo_region, s3_bucket, postgres_db, redis_url, tmp_path, monkeypatch
):
    broker = f"{redis_url}/0"
    home = tmp_path / "dagster_home"
    postgres_db.write_dagster_yaml(home, "telemetry:\n  enabled: false\n")
    celery_config = tmp_path / "celery_config"
    celery_config.mkdir()
    (celery_config / "dagster_celery_config.py").write_text(WORKER_CELERY_CONFIG)
    storage = s3_bucket.url("out")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "SACNN_REGION": str(small_demo_region),
        "SACNN_STORAGE": storage,
        "SACNN_S3_ENDPOINT_URL": s3_bucket.endpoint_url,
        "SACNN_CACHE": str(tmp_path / "cache"),
        "SACNN_EXECUTOR": "celery",
        "SACNN_CELERY_BROKER": broker,
        # the workers' broker and results backend: Celery reads these variables over its app's settings
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": broker,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(celery_config), os.environ.get("PYTHONPATH")])),
    }
    workers = [start_worker(name, env, tmp_path) for name in WORKERS]
    try:
        # while the workers start: the same jobs in process, the bytes to compare with
        monkeypatch.setenv("SACNN_CACHE", str(tmp_path / "cache-local"))
        execute_in_process_locally(small_demo_region, tmp_path / "local", tmp_path / "home-local")
        wait_ready(workers)
        for job, tags in JOBS:
            done = subprocess.run(
                [str(BIN / "dagster"), "job", "execute", "-m", "sacnn_dagster.definitions", "-a", "defs"]
                + ["-j", job, "--tags", json.dumps(tags)],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            logs = "\n".join(log.read_text()[-3000:] for _, log in workers)
            assert done.returncode == 0, f"{job}: {done.stdout[-3000:]}{done.stderr[-3000:]}\nworkers:\n{logs}"
    finally:
        for process, _ in workers:
            stop_worker(process)

    local = local_files(tmp_path / "local")
    remote = {key[len("out/") :]: s3_bucket.fs.cat_file(f"{s3_bucket.name}/{key}") for key in s3_bucket.keys("out")}
    local_digests, remote_digests = digests(local), digests(remote)
    differ = sorted(
        k for k in local_digests.keys() | remote_digests.keys() if local_digests.get(k) != remote_digests.get(k)
    )
    # (a gvio_model/<version>/ of another name: the models' source changed between the two runs)
    assert not differ, f"{len(differ)} of {len(local)} files differ from the in-process run's: {differ[:12]}"
    assert {name.split("/")[0] for name in remote} >= {"ntl_composite", "factory_patches", "gvio_model", "gvio_grid"}

    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs()
        assert sorted(run.job_name for run in runs) == sorted(job for job, _ in JOBS)
        assert all(run.status == dg.DagsterRunStatus.SUCCESS for run in runs)
        step_workers: dict[str, str] = {}
        everything = []
        for run in runs:
            records = instance.all_logs(run.run_id)
            everything += [repr(record) for record in records]
            for record in records:
                event = record.dagster_event
                if event is None or event.event_type != dg.DagsterEventType.ENGINE_EVENT:
                    continue
                metadata = event.engine_event_data.metadata
                if CELERY_WORKER_METADATA in metadata:
                    step_workers[f"{run.job_name}/{event.step_key}"] = metadata[CELERY_WORKER_METADATA].value
            everything.append(repr(run.run_config))
    steps = ["gvio_statistics", "ntl_composite", "ntl_clean", "factories", "factory_patches", "gvio_model"]
    assert {step.split("/")[1] for step in step_workers} >= {*steps, "gvio_estimate", "gvio_grid"}
    assert {worker.split("@")[0] for worker in step_workers.values()} == set(WORKERS), step_workers
    # the broker's password stays in the environment: no run config, event or log message of the instance has it,
    # and the workers' own logs show it masked
    assert not [line for line in everything if REDIS_PASSWORD in line]
    assert not [log for _, log in workers if REDIS_PASSWORD in log.read_text()]
