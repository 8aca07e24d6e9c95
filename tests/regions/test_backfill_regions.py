"""`backfill --regions`: one backfill per region, in the region's own instance and storage; a region whose
backfill fails or cannot start is named and the others go on. (backfill_region itself: tests/test_backfill.py.)"""

from __future__ import annotations

import shutil
from pathlib import Path

from sacnn_dagster.cli.backfill import BackfillReport
from sacnn_dagster.cli.main import main


def test_each_region_backfilled_in_its_own_instance_and_storage(small_demo_region, tmp_path, monkeypatch, capsys):
    catalogue = tmp_path / "regions"
    for folder, name in (("one", "city-one"), ("two", "city-two"), ("three", "city-three")):
        shutil.copytree(small_demo_region, catalogue / folder)
        yaml = catalogue / folder / "region.yaml"
        yaml.write_text(yaml.read_text().replace("name: demo-city-small", f"name: {name}"))
    calls: list[tuple[str, str, str]] = []

    def fake_backfill(region, start, end, storage, *, echo, instance):
        calls.append((Path(region).name, storage, Path(instance.root_directory).name))
        if Path(region).name == "three":
            raise ValueError("no month in that range has a composite: nothing to backfill")
        return BackfillReport(months=["2020-01"], months_without_composite=[], months_done=["2020-01"])

    monkeypatch.setattr("sacnn_dagster.cli.regions_backfill.backfill_region", fake_backfill)
    monkeypatch.setattr(BackfillReport, "ok", property(lambda self: True))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    code = main(["backfill", "--regions", str(catalogue), "--storage", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 1 and "FAILED region(s): city-three" in out
    assert "city-one: 1 month(s) backfilled, 0 failed" in out
    assert sorted(calls) == [
        ("one", f"{tmp_path / 'out'}/city-one", "city-one"),
        ("three", f"{tmp_path / 'out'}/city-three", "city-three"),
        ("two", f"{tmp_path / 'out'}/city-two", "city-two"),
    ]
    assert main(["backfill", "--regions", str(catalogue), "--only", "two", "--storage", str(tmp_path / "o")]) == 0
    calls.clear()
    assert main(["backfill", "--regions", str(catalogue), "--start", "2022-01", "--storage", str(tmp_path / "o")]) == 0
    assert not calls and "city-two: skipped, no month in the range" in capsys.readouterr().out
