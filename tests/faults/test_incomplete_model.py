"""A model version left without its manifest (a run killed while writing `gvio_model/<version>/`) is never
reused: `gvio_model` trains it again, with a warning, into the same bytes, and clears what the killed run
left; the estimates refuse to read it meanwhile."""

from __future__ import annotations

import shutil

import pytest

from sacnn_dagster.defs.code_location import MODEL_JOB, build_definitions
from sacnn_dagster.defs.resources.storage import COMPLETE_FILE, IncompleteFolderError
from tests.faults.harness import visible_digests


def test_an_incomplete_model_folder_is_ignored_and_rebuilt(materialized_small_demo, instance, tmp_path):
    storage = tmp_path / "out"
    shutil.copytree(materialized_small_demo.storage, storage)
    (folder,) = [p for p in (storage / "gvio_model").iterdir() if p.is_dir()]
    expected = visible_digests(folder)
    # what a kill -9 in the middle of the folder leaves: some files, one of them a stray, no manifest
    (folder / COMPLETE_FILE).unlink()
    shutil.rmtree(folder / "sacnn")
    (folder / "stray.bin").write_bytes(b"from a build that was killed")

    defs = build_definitions(materialized_small_demo.region, str(storage))
    with pytest.raises(IncompleteFolderError, match="is incomplete"):
        with defs.resources["storage"].fetched_folder(f"gvio_model/{folder.name}"):
            pass

    result = defs.resolve_job_def(MODEL_JOB).execute_in_process(instance=instance)
    assert result.success
    (materialization,) = result.asset_materializations_for_node("gvio_model")
    assert materialization.metadata["reused_existing_version"].value is False
    assert materialization.metadata["version"].value == folder.name
    logs = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert any("left incomplete by an interrupted run" in message for message in logs)
    assert visible_digests(folder) == expected

    again = defs.resolve_job_def(MODEL_JOB).execute_in_process(instance=instance)
    (materialization,) = again.asset_materializations_for_node("gvio_model")
    assert materialization.metadata["reused_existing_version"].value is True
