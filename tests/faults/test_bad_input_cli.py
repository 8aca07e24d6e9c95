"""Bad input reaching the user (issue 12): the CLI stops before anything runs with exit 2 and one line naming
the file (and the key, or the line and column), no traceback and nothing written; inside a run, a non-finite
statistic fails its asset naming the file and line, and a megabyte POI line is quarantined, the month built."""

from __future__ import annotations

import logging
import re
import shutil

import dagster as dg
import pandas as pd
import pytest

from sacnn_dagster.cli.errors import step_failures
from sacnn_dagster.cli.main import main
from sacnn_dagster.defs.code_location import build_definitions
from tests.config import write_region

BROKEN = {
    "region.yaml": ("name: x\nstart: 2020-01\n  buffer_m: [\n", r"region.yaml, line 3, column 11: not valid YAML: "),
    "boundary.geojson": ('{"type": "FeatureCollection",\n "features": [}\n', r"boundary.geojson, line 2, column 15: "),
    "landuse.geojson": ('{"type": "Polygon", "coordinates": 7}', r"landuse.geojson: not GeoJSON: the geometry.coord"),
    "name": ("name: ../../../../x\nstart: 2020-01\n", r"region.yaml: name: '../../../../x' is not a plain folder"),
    "buffer_m": ('name: x\nstart: 2020-01\nbuffer_m: "abc"\n', r"region.yaml: buffer_m must be a positive number"),
}


@pytest.mark.parametrize(
    ("command", "fault"), [("run", fault) for fault in BROKEN] + [("backfill", "name"), ("backfill", "region.yaml")]
)
def test_bad_region_files_exit_2_naming_the_file_and_writing_nothing(command, fault, tmp_path, monkeypatch, capsys):
    region, work = tmp_path / "region", tmp_path / "work"
    region.mkdir(), work.mkdir()
    write_region(region, "name: x\nstart: 2020-01\n")
    content, message = BROKEN[fault]
    file = fault if fault.endswith((".yaml", ".geojson")) else "region.yaml"
    (region / file).write_text(content)
    monkeypatch.chdir(work)  # no --storage: the default ./sacnn-output/<name>/ is under it
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    before = sorted(p.name for p in region.iterdir())
    assert main([command, "--region", str(region)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {region.resolve()}/") and "Traceback" not in err
    assert re.search(message, err), err
    assert len(err.strip().splitlines()) == 1
    assert list(work.iterdir()) == [] and not (tmp_path / "sacnn-output").exists()  # nothing written, anywhere
    assert sorted(p.name for p in region.iterdir()) == before


@pytest.fixture
def region_copy(small_demo_region, tmp_path):
    region = tmp_path / "region"
    shutil.copytree(small_demo_region, region)
    return region


def _materialize(region, storage, asset: str, partition: str | None = None):
    """The run's result and its warnings."""
    defs = build_definitions(region, str(storage))
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [defs.resolve_assets_def(asset)],  # its resources bound by the definitions
            instance=instance,
            partition_key=partition,
            raise_on_error=False,
        )
        warnings = [r.user_message for r in instance.all_logs(result.run_id) if r.level == logging.WARNING]
    return result, warnings


def test_an_infinite_statistic_fails_its_asset_naming_file_and_line_and_stores_nothing(region_copy, tmp_path):
    statistics = region_copy / "statistics" / "gvio_monthly.csv"
    lines = statistics.read_text(encoding="utf-8").splitlines()
    month = lines[3].split(",")[0]
    lines[3] = f"{month},inf" + ("," if lines[0].count(",") == 2 else "")
    statistics.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result, _ = _materialize(region_copy, tmp_path / "out", "gvio_statistics")
    assert not result.success
    (failure,) = step_failures(result)  # as `run` tells it: the user code's error, one line
    assert failure.kind == "BadInput"
    assert failure.message == f"{statistics}, line 4: gvio 'inf' is not a finite number"
    assert not (tmp_path / "out" / "gvio_statistics").exists()


def test_a_megabyte_poi_line_is_quarantined_with_its_line_and_the_month_built(region_copy, tmp_path):
    pois = sorted((region_copy / "pois").glob("*.csv"))[0]
    lines = pois.read_text(encoding="utf-8").splitlines()
    lines.insert(5, "B0FFBAD," + "x" * 1_000_000)
    pois.write_text("\n".join(lines) + "\n", encoding="utf-8")
    month = pois.stem
    result, warnings = _materialize(region_copy, tmp_path / "out", "factories", month)
    assert result.success
    (materialization,) = result.asset_materializations_for_node("factories")
    meta = {k: v.value for k, v in materialization.metadata.items()}
    assert meta["unreadable_lines"] == [6] and meta["factories"] > 0
    quarantine = pd.read_csv(tmp_path / "out" / "quarantine" / "pois" / f"{month}.csv").set_index("line")
    assert quarantine.loc[6, "reason"] == "line over 65,536 characters" and len(quarantine.loc[6, "raw"]) < 300
    (told,) = [w for w in warnings if "quarantined" in w]
    assert told.startswith(f"{region_copy / 'pois'}/{month}.csv, line(s) 6: over 65,536 characters or not CSV")
