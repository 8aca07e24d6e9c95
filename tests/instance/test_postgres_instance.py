"""Dagster's instance on PostgreSQL (dagster-postgres), on the session's real server (tests/servers/postgres.py).

- The helper's instance stores and reads a run.
- `deploy/dagster.yaml`, the documented production instance, loads as is against the server (everything from
  the environment, the password included) with its queue, pools and monitoring settings.
- On that same file (only the queue looked at every second instead of every five) and a database of its own,
  the small demo region with its last month held back:
  - a real asset backfill of every month (`backfill_region`: a dagster-daemon, a run per stage), which is
    also what the next two build on: the model needs at least 10 labelled months and its evaluation 22, so a
    backfill of a few months cannot stand alone, and a `run` first would cost a minute more;
  - the sensors under a real `dagster-daemon run`: the held-back composite dropped into the region folder
    is built downstream (one scenario of tests/test_sensors_daemon.py);
  - two `monthly_features` runs of different months at once, each in a process and instance of its own (two
    writers): both succeed and both months are recorded, which SQLite's one-writer file does not promise.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg
import psycopg2
import pytest
import yaml
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage
from test_sensors import composite_files
from test_sensors_daemon import MONTHLY_ASSETS, Automation, drop_late, rebuilt, summary

from sacnn_dagster.cli.backfill import backfill_region
from sacnn_dagster.defs.dagster_private import BulkActionStatus
from sacnn_dagster.defs.jobs import REGION_TAG
from tests.servers.postgres import PASSWORD_ENV, create_database

DEPLOY_YAML = Path(__file__).parents[2] / "deploy" / "dagster.yaml"
#: The month whose composite is published late: left out of the backfill, dropped in for the sensors.
LATE = "2021-12"
#: Two months built again at once by two writers.
CONCURRENT = ("2019-08", "2020-05")


def deploy_env(url: str) -> dict[str, str]:
    """What deploy/dagster.yaml reads from the environment, for the database of `url`."""
    parts = urlsplit(url)
    return {
        "DAGSTER_PG_HOST": parts.hostname,
        "DAGSTER_PG_PORT": str(parts.port),
        "DAGSTER_PG_USER": parts.username,
        PASSWORD_ENV: parts.password,
        "DAGSTER_PG_DB": parts.path.lstrip("/"),
    }


def assert_on_postgres(instance: dg.DagsterInstance) -> None:
    assert isinstance(instance.run_storage, PostgresRunStorage)
    assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
    assert isinstance(instance.schedule_storage, PostgresScheduleStorage)


def test_an_instance_on_postgres_stores_and_reads_a_run(postgres_db, tmp_path):
    home = tmp_path / "home"
    text = postgres_db.write_dagster_yaml(home).read_text()
    assert "password:\n        env: DAGSTER_PG_PASSWORD" in text and "never-in-files" not in text

    @dg.asset
    def one() -> int:
        return 1

    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert_on_postgres(instance)
        result = dg.materialize([one], instance=instance, tags={REGION_TAG: "demo"})
        assert result.success
    with dg.DagsterInstance.from_config(str(home)) as again:  # read back through new connections
        (run,) = again.get_runs()
        assert run.run_id == result.run_id and run.status == dg.DagsterRunStatus.SUCCESS
        assert run.tags[REGION_TAG] == "demo"
        assert again.get_latest_materialization_event(dg.AssetKey("one")).run_id == result.run_id


def test_the_deploy_instance_is_postgres_with_a_queue_per_region_and_download_pools(postgres_db, tmp_path, monkeypatch):
    text = DEPLOY_YAML.read_text()
    assert "password:\n        env: DAGSTER_PG_PASSWORD" in text
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(DEPLOY_YAML, home / "dagster.yaml")
    for key, value in deploy_env(postgres_db.url).items():
        monkeypatch.setenv(key, value)

    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert_on_postgres(instance)
        assert instance.get_runs() == []  # connected: its tables created in the test's database
        assert isinstance(instance.run_coordinator, dg.QueuedRunCoordinator)
        concurrency = instance.get_concurrency_config()
        queue = concurrency.run_queue_config
        assert queue.max_concurrent_runs == 8
        assert queue.tag_concurrency_limits == [
            {"key": REGION_TAG, "value": {"applyLimitPerUniqueValue": True}, "limit": 1}
        ]
        assert concurrency.pool_config.default_pool_limit == 1
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_settings["start_timeout_seconds"] == 180
        assert not instance.telemetry_enabled
        assert instance.get_settings("python_logs")["managed_python_loggers"] == ["sacnn_dagster"]

    monkeypatch.delenv(PASSWORD_ENV)
    with pytest.raises(dg.DagsterInvalidConfigError, match=PASSWORD_ENV):
        dg.DagsterInstance.from_config(str(home))


@dataclass
class OnPostgres:
    root: Path
    region: Path
    storage: Path
    home: Path
    late: Path
    url: str
    instance: dg.DagsterInstance
    months: list[str]
    backfill_report: object
    backfill_echo: list[str]


@pytest.fixture(scope="module")
def on_postgres(small_demo_region, postgres_url, tmp_path_factory):
    """The small demo without its LATE month, backfilled on deploy/dagster.yaml's instance in a database of
    its own (the environment the file reads set for the module: the daemons started here inherit it)."""
    root = tmp_path_factory.mktemp("on_postgres")
    region, late, home, storage = root / "region", root / "late", root / "home", root / "out"
    shutil.copytree(small_demo_region, region)
    for path in composite_files(region, LATE):
        aside = late / LATE / path.relative_to(region / "nightlights")
        aside.parent.mkdir(parents=True, exist_ok=True)
        path.rename(aside)
    config = yaml.safe_load(DEPLOY_YAML.read_text())
    config["run_coordinator"]["config"] = {"dequeue_interval_seconds": 1}  # seconds saved per run
    home.mkdir()
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    url = create_database(postgres_url, f"flows_{uuid.uuid4().hex[:12]}")
    with pytest.MonkeyPatch.context() as env:
        for key, value in deploy_env(url).items():
            env.setenv(key, value)
        with dg.DagsterInstance.from_config(str(home)) as instance:
            echo: list[str] = []
            report = backfill_region(
                region, storage_root=str(storage), instance=instance, progress=io.StringIO(), echo=echo.append
            )
            yield OnPostgres(root, region, storage, home, late, url, instance, report.months, report, echo)


def test_a_backfill_on_postgres(on_postgres):
    report, instance = on_postgres.backfill_report, on_postgres.instance
    assert report.ok and report.months_without_composite == [LATE], on_postgres.backfill_echo
    assert report.months_done == on_postgres.months and LATE not in report.months_done
    assert_on_postgres(instance)
    (backfill,) = instance.get_backfills()
    assert backfill.status == BulkActionStatus.COMPLETED_SUCCESS
    assert any("No dagster-daemon is running for this instance: started one" in e for e in on_postgres.backfill_echo)
    for asset in MONTHLY_ASSETS:
        assert instance.get_materialized_partitions(dg.AssetKey(asset)) == set(on_postgres.months), asset
    for asset in ("gvio_statistics", "gvio_model", "model_evaluation"):
        assert instance.get_latest_materialization_event(dg.AssetKey(asset)) is not None, asset
    # in the server's tables, read with a client of its own
    connection = psycopg2.connect(on_postgres.url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM event_logs WHERE dagster_event_type = 'ASSET_MATERIALIZATION' AND asset_key = %s",
                ('["gvio_grid"]',),
            )
            assert cursor.fetchone()[0] == len(on_postgres.months)
            cursor.execute("SELECT count(*) FROM runs WHERE status = 'SUCCESS'")
            assert cursor.fetchone()[0] >= 4  # a run per stage at least
    finally:
        connection.close()


def test_a_dropped_composite_is_built_downstream_by_the_daemon_on_postgres(on_postgres):
    automation = Automation(
        on_postgres.root,
        on_postgres.region,
        on_postgres.storage,
        on_postgres.home,
        on_postgres.late,
        on_postgres.instance,
    )
    automation.seen_runs.update(r.run_id for r in on_postgres.instance.get_runs())
    before = automation.latest()
    automation.start()
    try:
        drop_late(automation, LATE)
        since = time.time()  # a look that starts later sees the file
        runs = automation.new_runs(since)
    finally:
        automation.stop()
    assert summary(runs) == [("monthly_features", LATE, LATE), ("monthly_outputs", LATE, LATE)], automation.report()
    assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs), automation.report()
    assert rebuilt(before, automation.latest()) == {asset: [LATE] for asset in MONTHLY_ASSETS}


#: One `monthly_features` run of a month, in a process of its own on the instance at $DAGSTER_HOME; it starts
#: its run once every process of the test has imported everything (a file each in the barrier folder).
ONE_RUN = """
import sys, time
from pathlib import Path
import dagster as dg
from sacnn_dagster.cli.summary import QUIET_CONSOLE
from sacnn_dagster.defs.code_location import build_definitions
from sacnn_dagster.defs.dagster_private import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
region, storage, month, barrier, parties = sys.argv[1:6]
job = build_definitions(region, storage).resolve_job_def("monthly_features")
(Path(barrier) / month).touch()
deadline = time.monotonic() + 180
while len(list(Path(barrier).iterdir())) < int(parties) and time.monotonic() < deadline:
    time.sleep(0.05)
with dg.DagsterInstance.get() as instance:
    result = job.execute_in_process(
        instance=instance,
        run_config=QUIET_CONSOLE,
        tags={ASSET_PARTITION_RANGE_START_TAG: month, ASSET_PARTITION_RANGE_END_TAG: month},
        raise_on_error=False,
    )
print(result.run_id)
sys.exit(0 if result.success else 1)
"""


def test_two_runs_at_once_on_postgres(on_postgres, tmp_path):
    """Two processes, each with an instance of its own, write runs and events at the same time (not threads
    of one process: Dagster's python_logs setup in `execute_in_process` reconfigures logging, which
    deadlocks against another thread's run in the same process)."""
    instance = on_postgres.instance

    def latest() -> dict[str, int]:
        return instance.get_latest_storage_id_by_partition(
            dg.AssetKey("factory_patches"), dg.DagsterEventType.ASSET_MATERIALIZATION
        )

    before = latest()
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    env = {**os.environ, "DAGSTER_HOME": str(on_postgres.home)}
    args = [str(on_postgres.region), str(on_postgres.storage)]
    processes = {
        month: subprocess.Popen(
            [sys.executable, "-c", ONE_RUN, *args, month, str(barrier), str(len(CONCURRENT))],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for month in CONCURRENT
    }
    run_ids = {}
    for month, process in processes.items():
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, f"{month}: {out[-2000:]}{err[-3000:]}"
        run_ids[month] = out.split()[-1]

    first, second = (instance.get_run_record_by_id(run_ids[m]) for m in CONCURRENT)
    assert first.dagster_run.status == second.dagster_run.status == dg.DagsterRunStatus.SUCCESS
    # they did run at once: each started before the other ended
    assert first.start_time < second.end_time and second.start_time < first.end_time
    after = latest()
    for month in CONCURRENT:
        assert after[month] > before[month], month
        (record,) = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey("factory_patches"), asset_partitions=[month]), limit=1
        ).records
        assert record.run_id == run_ids[month]
