"""`sacnn-dagster status --region DIR` on the materialized small demo (read only): ok and exit 0 as it is; the
region one month longer than what was built (a month nobody published) is overdue and exits 1; `--at` judges the
deadlines at another date."""

from __future__ import annotations

import shutil

import pytest

from sacnn_dagster.cli.main import main


def row(out: str, asset: str) -> str:
    """The table row of `asset`, its columns one space apart."""
    return next(" ".join(line.split()) for line in out.splitlines() if line.split()[:1] == [asset])


@pytest.fixture
def home(materialized_small_demo, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(materialized_small_demo.home))
    return materialized_small_demo.home


def test_a_region_up_to_date_is_ok(materialized_small_demo, home, capsys):
    assert main(["status", "--region", str(materialized_small_demo.region)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Region demo-city-small: ok\n")
    assert row(out, "ntl_composite") == "ntl_composite 2021-12 - - ok"  # newest, missing, failed, state
    assert "Failing checks: none" in out and "Last failed run: none" in out


def test_a_late_month_is_overdue_and_exits_1(materialized_small_demo, home, tmp_path, capsys):
    region = tmp_path / "region"
    shutil.copytree(materialized_small_demo.region, region, ignore=shutil.ignore_patterns("nightlights"))
    spec = region / "region.yaml"
    spec.write_text(spec.read_text().replace('end: "2021-12"', 'end: "2022-03"'))
    assert main(["status", "--region", str(region)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("Region demo-city-small: NOT OK\n")
    assert row(out, "ntl_composite") == (
        "ntl_composite 2021-12 2022-01, 2022-02, 2022-03 - OVERDUE: 2022-03 due since 2022-05-16 00:00 UTC"
    )
    # January's statistics come with February's (due 25 days after February)
    assert main(["status", "--region", str(region), "--at", "2022-03-26"]) == 1
    out = capsys.readouterr().out
    assert row(out, "gvio_statistics") == "gvio_statistics 2021-12 - - OVERDUE: 2022-02 due since 2022-03-26 00:00 UTC"
    assert (
        row(out, "ntl_composite") == "ntl_composite 2021-12 2022-01 - OVERDUE: 2022-01 due since 2022-03-18 00:00 UTC"
    )
    # January's statistics alone are never due
    assert main(["status", "--region", str(region), "--at", "2022-03-01"]) == 0
