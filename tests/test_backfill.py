"""`sacnn-dagster backfill` end to end, through the installed console script, a real dagster-daemon it starts
itself, and the night lights served over HTTP on loopback (the EOG-like server), on the small demo region.

One backfill of the whole range meets, on purpose:
- a month whose composite fails once for a while (HTTP 500 through all of the downloader's own retries),
  then comes back: Dagster's retry policy runs the step again and the month is built;
- a month whose composite is broken (not an archive): it fails, is not retried, and every other month is
  built all the way to the grids, the model and its evaluation.
Once the file is fixed, the month runs again alone, from the same command.

And the UI's "Materialize all": the GraphQL mutation the UI sends, executed by the same daemon, finishes.
"""

import io
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster_graphql.test.utils import define_out_of_process_context, execute_dagster_graphql

import sacnn_dagster
from sacnn_dagster.cli.backfill import DaemonForInstance, follow
from sacnn_dagster.cli.backfill.progress import QUIET_INTERVAL_S
from sacnn_dagster.cli.run import INSTANCE_YAML
from sacnn_dagster.config.months import month_range
from sacnn_dagster.defs.code_location import build_definitions
from sacnn_dagster.defs.common.monthly import FAILED_MONTHS, materialize_months
from sacnn_dagster.defs.dagster_private import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    BulkActionStatus,
)
from sacnn_dagster.io.download import AuthenticationError, DownloadError, RemoteFileNotFound, RetriesExhausted
from sacnn_dagster.io.transient import is_transient
from tests.servers.eog import TILED, TreeServer, eog_tree

SCRIPT = shutil.which("sacnn-dagster", path=str(Path(sys.executable).parent)) or "sacnn-dagster"
MONTHLY = [
    "ntl_composite",
    "ntl_clean",
    "factories",
    "factory_patches",
    "gvio_estimate",
    "gvio_grid",
    "gvio_by_district",
]
DEFINITIONS = str(Path(sacnn_dagster.__file__).with_name("definitions.py"))
#: One more than the downloader's retries (4): its last try gives up, and the step fails as transient.
DOWNLOADER_ATTEMPTS = 5


def composite_path(files: dict[str, bytes], month: str) -> str:
    """The server path of the month's tile archive over the demo area."""
    year, mm = month.split("-")
    folder = f"{TILED}/{year}/{year}{mm}/vcmcfg/"
    (path,) = [p for p in files if p.startswith(folder) and "75N060E" in p and p.endswith(".tgz")]
    return path


def backfill(*args: str, tmp: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DAGSTER_HOME": str(tmp / "home"), "SACNN_CACHE": str(tmp / "cache")}
    return subprocess.run(
        [SCRIPT, "backfill", "--region", "region", "--storage", "out", *args],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def gets(server: TreeServer, path: str) -> list[int]:
    return [h.status for h in server.hits if h.method == "GET" and h.path == "/" + path]


def test_a_backfill_survives_a_broken_month_retries_a_transient_one_and_reruns_the_month_alone(
    small_demo_region, tmp_path
):
    files = eog_tree(small_demo_region / "nightlights")
    spec = yaml.safe_load((small_demo_region / "region.yaml").read_text())
    months = month_range(str(spec["start"]), str(spec["end"]))
    # the broken month last, so that the other months stay one range (one run per stage)
    flaky, broken = months[1], months[-1]
    good_archive = files[composite_path(files, broken)]
    files[composite_path(files, broken)] = b"this is not a tile archive\n" * 100

    with TreeServer(files) as server:
        shutil.copytree(small_demo_region, tmp_path / "region", ignore=shutil.ignore_patterns("nightlights"))
        (tmp_path / "region" / "region.yaml").write_text(
            yaml.safe_dump({**spec, "nightlights": {"source": "eog", "url": f"{server.url}/nighttime_light"}})
        )
        server.fail(composite_path(files, flaky), *["500"] * DOWNLOADER_ATTEMPTS)

        started = time.monotonic()
        first = backfill(tmp=tmp_path)
        elapsed = time.monotonic() - started
        assert first.returncode == 1, first.stdout[-3000:] + first.stderr[-3000:]
        # followed with a progress bar, on stderr; the daemon was started for the command
        assert "[" + "#" * 30 + "]" in first.stderr and "asset partitions" in first.stderr
        # stderr is not a terminal: a redraw every QUIET_INTERVAL_S at most, plus the first and last of each of
        # the two backfills (not one per look, every second)
        assert first.stderr.count("asset partitions") <= elapsed / QUIET_INTERVAL_S + 4 + 2, first.stderr
        assert "No dagster-daemon is running for this instance: started one" in first.stdout
        # the broken month is named with its file and cause, and how to run it again alone
        assert f"FAILED {broken} ntl_composite: " in first.stderr
        assert "the download is not a valid tar file" in first.stderr
        assert f"--start {broken} --end {broken}" in first.stderr
        assert f"{len(months) - 1} month(s) backfilled, 1 failed" in first.stdout

        # the flaky month: the downloader gave up after its own retries, Dagster's retry got the file;
        # the broken one was read once, never retried
        assert gets(server, composite_path(files, flaky)) == [500] * DOWNLOADER_ATTEMPTS + [200]
        assert gets(server, composite_path(files, broken)) == [200]

        with dg.DagsterInstance.from_config(str(tmp_path / "home")) as instance:
            failed, carried_on = sorted(instance.get_backfills(), key=lambda b: b.backfill_timestamp)
            assert failed.status == BulkActionStatus.COMPLETED_FAILED
            assert carried_on.status == BulkActionStatus.COMPLETED_SUCCESS
            assert broken in carried_on.title
            check_failure_visible(instance, failed.backfill_id, broken)
            check_retried(instance, failed.backfill_id)
            for asset in MONTHLY:
                assert instance.get_materialized_partitions(dg.AssetKey(asset)) >= set(months) - {broken}, asset
            for asset in ("ntl_composite", "ntl_clean", "factory_patches", "gvio_grid"):
                assert broken not in instance.get_materialized_partitions(dg.AssetKey(asset)), asset
            for asset in ("gvio_statistics", "gvio_model", "model_evaluation"):
                assert instance.get_latest_materialization_event(dg.AssetKey(asset)) is not None, asset
        assert (tmp_path / "out" / "evaluation" / "summary.json").is_file()
        assert not (tmp_path / "out" / "gvio_grid" / f"{broken}.tif").exists()

        # fixed at the source: the month runs again alone, as the command said
        files[composite_path(files, broken)] = good_archive
        again = backfill("--start", broken, "--end", broken, tmp=tmp_path)
        assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
        assert "1 month(s) backfilled, 0 failed" in again.stdout
        assert "100%" in again.stderr

    with dg.DagsterInstance.from_config(str(tmp_path / "home")) as instance:
        latest = max(instance.get_backfills(), key=lambda b: b.backfill_timestamp)
        assert latest.status == BulkActionStatus.COMPLETED_SUCCESS
        assert latest.title == f"sacnn-dagster backfill {broken}..{broken}"
        for asset in MONTHLY:
            assert instance.get_materialized_partitions(dg.AssetKey(asset)) == set(months), asset
        # what it ran: that month's partitions only (and the model retrained with it)
        partitioned = {
            (
                run.asset_selection and tuple(sorted(k.to_user_string() for k in run.asset_selection)),
                run.tags.get("dagster/asset_partition_range_start"),
                run.tags.get("dagster/asset_partition_range_end"),
            )
            for run in instance.get_runs(dg.RunsFilter(tags={"dagster/backfill": latest.backfill_id}))
            if run.tags.get("dagster/asset_partition_range_start")
        }
        assert {(start, end) for _, start, end in partitioned} == {(broken, broken)}
    assert (tmp_path / "out" / "gvio_grid" / f"{broken}.tif").is_file()


#: What the UI sends when "Materialize all" is clicked on the asset graph and every partition is chosen.
LAUNCH_PARTITION_BACKFILL = """
mutation ($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
  }
}"""


def test_materialize_all_from_the_ui_is_an_asset_backfill_that_finishes(small_demo_region, tmp_path, monkeypatch):
    home, storage = tmp_path / "home", tmp_path / "out"
    home.mkdir()
    (home / "dagster.yaml").write_text(INSTANCE_YAML)
    monkeypatch.setenv("SACNN_REGION", str(small_demo_region))
    monkeypatch.setenv("SACNN_STORAGE", str(storage))
    graph = build_definitions(small_demo_region, str(storage)).resolve_asset_graph()
    keys = sorted(graph.materializable_asset_keys)
    with (
        dg.DagsterInstance.from_config(str(home)) as instance,
        DaemonForInstance(instance, small_demo_region, str(storage), echo=lambda _: None) as daemon,
    ):
        daemon.ensure()
        with define_out_of_process_context(DEFINITIONS, None, instance) as ui:
            answer = execute_dagster_graphql(
                ui,
                LAUNCH_PARTITION_BACKFILL,
                {"params": {"assetSelection": [{"path": key.path} for key in keys], "allPartitions": True}},
            )
        launched = answer.data["launchPartitionBackfill"]
        assert launched["__typename"] == "LaunchBackfillSuccess", launched
        outcome = follow(instance, graph, launched["backfillId"], io.StringIO(), daemon)
        assert outcome.status == BulkActionStatus.COMPLETED_SUCCESS, outcome.errors
        months = set(graph.get(dg.AssetKey("ntl_composite")).partitions_def.get_partition_keys())
        for asset in MONTHLY:
            assert instance.get_materialized_partitions(dg.AssetKey(asset)) == months, asset
        for asset in ("gvio_statistics", "gvio_model", "model_evaluation"):
            assert instance.get_latest_materialization_event(dg.AssetKey(asset)) is not None, asset
        # the single-run backfill policies: each stage is one run over the whole range, not a run per month
        runs = instance.get_runs(dg.RunsFilter(tags={"dagster/backfill": launched["backfillId"]}))
        ranges = {
            (r.tags.get(ASSET_PARTITION_RANGE_START_TAG), r.tags.get(ASSET_PARTITION_RANGE_END_TAG)) for r in runs
        }
        assert ranges <= {(min(months), max(months)), (None, None)} and len(runs) <= 5
    assert (storage / "evaluation" / "summary.json").is_file()


def check_failure_visible(instance: dg.DagsterInstance, backfill_id: str, month: str) -> None:
    """The failed run of the backfill holds the step failure naming the month, with its cause."""
    (run,) = instance.get_runs(
        dg.RunsFilter(tags={"dagster/backfill": backfill_id}, statuses=[dg.DagsterRunStatus.FAILURE])
    )
    (record,) = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE).records
    event = record.event_log_entry.dagster_event
    assert event.step_key == "ntl_composite"
    user = event.step_failure_data.user_failure_data
    assert list(user.metadata[FAILED_MONTHS].value) == [month]
    assert f"{month}: " in user.description and "not a valid tar file" in user.description


def check_retried(instance: dg.DagsterInstance, backfill_id: str) -> None:
    """The composite step of the failed backfill ran twice: a transient failure, then Dagster's retry."""
    (run,) = instance.get_runs(
        dg.RunsFilter(tags={"dagster/backfill": backfill_id}, statuses=[dg.DagsterRunStatus.FAILURE])
    )
    retries = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.STEP_UP_FOR_RETRY).records
    assert [r.event_log_entry.dagster_event.step_key for r in retries] == ["ntl_composite"]
    error = retries[0].event_log_entry.dagster_event.event_specific_data.error
    assert "RetriesExhausted" in error.cause.cls_name and "gave up after 5 attempts" in error.cause.message
    (stats,) = [s for s in instance.get_run_step_stats(run.run_id) if s.step_key == "ntl_composite"]
    assert stats.attempts == 2


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (RetriesExhausted("https://x/a.tgz: gave up after 5 attempts"), True),
        (TimeoutError("read timed out"), True),
        (ConnectionResetError("reset by peer"), True),
        (OSError("s3://bucket/out/a.tif: InternalError"), True),
        (DownloadError("https://x/a.tgz: the download is not a valid tar file"), False),
        (AuthenticationError("set EOG_TOKEN"), False),
        (RemoteFileNotFound("https://x/a.tgz: not found"), False),
        (FileNotFoundError("ntl_composite/2020-01.tif does not exist"), False),
        (PermissionError("denied"), False),
        (ValueError("a.tif: cannot be read as a raster"), False),
    ],
)
def test_only_a_bad_moment_of_a_server_or_store_is_transient(error, transient):
    assert is_transient(error) is transient


def test_the_month_loop_fails_only_the_bad_month_and_retries_only_transient_errors(instance):
    """In one range run: a month whose source has a bad moment makes the step run again (the retry policy);
    a month with bad input fails alone, once, after every other month was done."""
    calls: list[str] = []
    flaky, bad = "2020-02", "2020-03"

    def work(month: str) -> dict:
        calls.append(month)
        if month == flaky and calls.count(flaky) == 1:
            raise RetriesExhausted(f"{month}: gave up after 5 attempts; last error: HTTP 500")
        if month == bad:
            raise ValueError(f"{month}.tif: cannot be read as a raster")
        return {"month": month}

    @dg.asset(
        partitions_def=dg.MonthlyPartitionsDefinition(start_date="2020-01", end_date="2020-05", fmt="%Y-%m"),
        backfill_policy=dg.BackfillPolicy.single_run(),
        retry_policy=dg.RetryPolicy(max_retries=2),
    )
    def monthly(context: dg.AssetExecutionContext) -> None:
        materialize_months(context, work)

    result = dg.materialize(
        [monthly],
        instance=instance,
        raise_on_error=False,
        tags={ASSET_PARTITION_RANGE_START_TAG: "2020-01", ASSET_PARTITION_RANGE_END_TAG: "2020-04"},
    )
    assert not result.success
    assert calls == ["2020-01", flaky] + ["2020-01", flaky, bad, "2020-04"]
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    user = failure.step_failure_data.user_failure_data
    assert user.metadata[FAILED_MONTHS].value == {bad: f"{bad}.tif: cannot be read as a raster"}
    assert user.description == f"{bad}: {bad}.tif: cannot be read as a raster"
    assert [e.event_type_value for e in result.all_events].count("STEP_UP_FOR_RETRY") == 1
