"""SIGTERM (what `timeout`, systemd and Kubernetes send) stops `sacnn-dagster run` within seconds: the
Dagster run in progress is marked canceled (or failed), not left STARTED, and no further month or job
starts. The stop lands in a monthly step, whose retry policy would otherwise redo it (cli/stopping.py)."""

from __future__ import annotations

import shutil
import signal
import time

import dagster as dg

from tests.faults.harness import run_statuses, start_run, wait_for_file

#: Seconds a stop may take on a loaded 2-core machine (a step is interrupted at its next Python bytecode).
STOP_WITHIN_S = 20


def test_sigterm_stops_a_run_within_seconds_and_marks_it_failed(small_demo_region, tmp_path):
    region, storage, home = tmp_path / "region", tmp_path / "out", tmp_path / "home"
    shutil.copytree(small_demo_region, region)
    home.mkdir()
    started = time.time()
    process = start_run(region, storage, home, slow=r"/factory_patches/[^/]+\.parquet$")
    wait_for_file(storage, "factory_patches/*.parquet", started, process)
    signalled = time.monotonic()
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=120)
    took = time.monotonic() - signalled

    assert took < STOP_WITHIN_S, f"{took:.1f} s to stop"
    assert process.returncode == 128 + signal.SIGTERM, out[-3000:]
    assert "Traceback" not in out
    assert "Stopped" in out and "carry on" in out
    statuses = run_statuses(home)
    assert dg.DagsterRunStatus.STARTED not in statuses.values()
    # the statistics' run ended before the stop; the features' run was stopped; nothing started after it
    assert len(statuses) == 2, "a job started after the stop"
    assert dg.DagsterRunStatus.SUCCESS in statuses.values()
    assert {dg.DagsterRunStatus.CANCELED, dg.DagsterRunStatus.FAILURE} & set(statuses.values())
    assert not (storage / "gvio_model").exists()


def test_a_stopped_backfill_is_canceled_not_carried_on(small_demo_region, instance, tmp_path):
    """`backfill` stopped by a signal cancels the backfill it follows (CANCELING, then CANCELED once none
    of its runs is in progress), so that no daemon starts another month of it."""
    from sacnn_dagster.cli.backfill.cancel import finish_cancel, request_cancel
    from sacnn_dagster.cli.backfill.launch import launch_backfill, target_subset
    from sacnn_dagster.defs.code_location import build_definitions
    from sacnn_dagster.defs.dagster_private import BulkActionStatus

    graph = build_definitions(small_demo_region, str(tmp_path / "out")).resolve_asset_graph()
    backfill_id = launch_backfill(instance, graph, target_subset(graph, ["2020-03"], set()), "stopped")
    request_cancel(instance, backfill_id)
    assert instance.get_backfill(backfill_id).status == BulkActionStatus.CANCELING
    finish_cancel(instance, backfill_id, runs_dead=True)
    assert instance.get_backfill(backfill_id).status == BulkActionStatus.CANCELED
    request_cancel(instance, backfill_id)  # an ended backfill stays as it ended
    assert instance.get_backfill(backfill_id).status == BulkActionStatus.CANCELED


def test_a_run_tagged_with_a_dead_process_is_told_from_a_live_one():
    from sacnn_dagster.cli.dead_runs import process_alive, this_process

    host, pid, started = this_process().rsplit(":", 2)
    assert process_alive(this_process()) is True
    assert process_alive(f"{host}:{pid}:{started}0") is False  # a recycled pid: another process
    assert process_alive(f"{host}:999999999:1") is False
    assert process_alive(f"another-host-{host}:{pid}:{started}") is None
