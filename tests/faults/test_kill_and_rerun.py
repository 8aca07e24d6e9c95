"""`kill -9` of `sacnn-dagster run` at five chosen points, each followed by the same command: the last one
ends with exit 0 and outputs byte-identical to an uninterrupted run, and no run stays STARTED.

The kills are chained to keep the suite short: each rerun after a kill is itself killed at the next point,
later in the pipeline, so it goes through every earlier step again on the state the previous kill left
(a month's features half written, a model folder without its manifest, some months' estimates or grids,
an evaluation cut short); the final run goes through everything once more. The reference is the session's
uninterrupted run of the same region (`materialized_small_demo`)."""

from __future__ import annotations

import shutil
import signal
import time

import dagster as dg

from tests.faults.harness import run_statuses, start_run, visible_digests, wait_for_file

#: (what is being written when the kill lands, writes slowed, the file whose appearance triggers the kill)
KILL_POINTS = [
    ("a month's features", r"/factory_patches/[^/]+\.parquet$", "factory_patches/*.parquet"),
    ("the model folder", r"/gvio_model/[0-9a-f]{16}/", "gvio_model/*/*"),
    ("the estimates", r"/gvio_estimate/[^/]+\.parquet$", "gvio_estimate/*.parquet"),
    ("the grids", r"/gvio_grid/[^/]+\.tif$", "gvio_grid/*.tif"),
    ("the evaluation", r"/previews/gvio_estimates\.png$", "evaluation/summary.json"),
]


def test_kill_at_five_points_then_the_same_command_gives_the_uninterrupted_outputs(
    materialized_small_demo, small_demo_region, tmp_path
):
    region, storage, home = tmp_path / "region", tmp_path / "out", tmp_path / "home"
    shutil.copytree(small_demo_region, region)
    home.mkdir()
    killed_runs = 0
    for what, slow, trigger in KILL_POINTS:
        started = time.time()
        process = start_run(region, storage, home, slow=slow)
        written = wait_for_file(storage, trigger, started, process)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        process.stdout.close()
        killed_runs += 1
        if what == "the model folder":
            assert not (written.parent / "COMPLETE.json").exists(), "the kill landed after the model folder"
        statuses = run_statuses(home)
        assert dg.DagsterRunStatus.STARTED in statuses.values(), f"killed during {what}: no run in progress"

    process = start_run(region, storage, home)
    out, _ = process.communicate(timeout=600)
    assert process.returncode == 0, out[-3000:]
    assert "whose process died marked failed" in out

    expected = visible_digests(materialized_small_demo.storage)
    actual = visible_digests(storage)
    assert sorted(actual) == sorted(expected)
    assert [key for key in expected if actual[key] != expected[key]] == []
    # every run of a killed process is marked failed: none stays STARTED
    assert dg.DagsterRunStatus.STARTED not in run_statuses(home).values()
