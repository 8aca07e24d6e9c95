"""The command line's --regions: $SACNN_REGIONS as its default, never with --region, --only with it only."""

from __future__ import annotations

import pytest

from sacnn_dagster.cli.main import main


def test_run_needs_a_region_or_a_catalogue(monkeypatch, capsys):
    monkeypatch.delenv("SACNN_REGIONS", raising=False)
    with pytest.raises(SystemExit):
        main(["run"])
    assert "--regions DIR (or $SACNN_REGIONS)" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["status", "--region", "a", "--regions", "b"])


def test_sacnn_regions_is_the_default_catalogue(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("SACNN_REGIONS", str(tmp_path / "nowhere"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    assert main(["run"]) == 2
    assert f"regions folder {tmp_path / 'nowhere'} does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["run", "--region", str(tmp_path), "--only", "x"])
