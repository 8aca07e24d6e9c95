"""`backfill --regions`: one backfill per region, all in the instance at $DAGSTER_HOME, each with its storage and
its daemon serving that region of the catalogue; a region whose backfill fails or cannot start is named and the
others go on. backfill_region is replaced here by a recorder (it is tested with a real daemon in
tests/test_backfill.py; a real one per region would add a minute per region to the suite)."""

from __future__ import annotations

import shutil
from pathlib import Path

from sacnn_dagster.cli.backfill import BackfillReport
from sacnn_dagster.cli.main import main


def test_each_region_backfilled_in_one_instance_with_its_storage_and_code_location(
    small_demo_region, tmp_path, monkeypatch, capsys
):
    catalogue = tmp_path / "regions"
    for folder, name in (("one", "city-one"), ("two", "city-two"), ("three", "city-three")):
        shutil.copytree(small_demo_region, catalogue / folder)
        yaml = catalogue / folder / "region.yaml"
        yaml.write_text(yaml.read_text().replace("name: demo-city-small", f"name: {name}"))
    calls: list[tuple[str, str, str]] = []

    def fake_backfill(region, start, end, storage, *, echo, instance, member):
        env = member.environment()
        assert env["SACNN_REGIONS"] == str(catalogue) and env["SACNN_STORAGE"] == str(tmp_path / "out")
        assert member.keys("gvio_grid").path == [member.name, "gvio_grid"]
        calls.append((Path(region).name, storage, member.name, Path(instance.root_directory).name))
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
        ("one", f"{tmp_path / 'out'}/city-one", "city-one", "home"),
        ("three", f"{tmp_path / 'out'}/city-three", "city-three", "home"),
        ("two", f"{tmp_path / 'out'}/city-two", "city-two", "home"),
    ]
    calls.clear()
    assert main(["backfill", "--regions", str(catalogue), "--only", "two", "--storage", str(tmp_path / "out")]) == 0
    assert [c[2] for c in calls] == ["city-two"]
    calls.clear()
    assert (
        main(["backfill", "--regions", str(catalogue), "--start", "2022-01", "--storage", str(tmp_path / "out")]) == 0
    )
    assert not calls and "city-two: skipped, no month in the range" in capsys.readouterr().out
