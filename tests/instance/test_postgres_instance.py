"""Dagster's instance on PostgreSQL (dagster-postgres), the session's real server (tests/servers/postgres.py)."""

from __future__ import annotations

import dagster as dg
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage


def test_an_instance_on_postgres_stores_and_reads_a_run(postgres_db, tmp_path):
    home = tmp_path / "home"
    text = postgres_db.write_dagster_yaml(home).read_text()
    assert "password:\n        env: DAGSTER_PG_PASSWORD" in text and "never-in-files" not in text

    @dg.asset
    def one() -> int:
        return 1

    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        result = dg.materialize([one], instance=instance, tags={"sacnn/region": "demo"})
        assert result.success
    with dg.DagsterInstance.from_config(str(home)) as again:  # read back through a new connection
        (run,) = again.get_runs()
        assert run.run_id == result.run_id and run.status == dg.DagsterRunStatus.SUCCESS
        assert run.tags["sacnn/region"] == "demo"
        assert again.get_latest_materialization_event(dg.AssetKey("one")).run_id == result.run_id
