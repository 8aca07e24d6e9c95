"""Deadlines, verdicts, messages, incidents and the region.yaml block: pure functions, a given clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sacnn_dagster.config.bad_input import BadInput
from sacnn_dagster.config.monitoring import MonitoringSettings
from sacnn_dagster.config.region import load_region
from sacnn_dagster.monitoring.deadlines import due_month, month_deadline
from sacnn_dagster.monitoring.freshness import due_for, judge
from sacnn_dagster.monitoring.health import AssetHealth, HealthSummary, missing_months
from sacnn_dagster.monitoring.incidents import Incident, changes, read_cursor, write_cursor
from sacnn_dagster.monitoring.messages import months_text, run_failed

DEFAULTS = MonitoringSettings()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_month_is_due_its_days_after_it_ends():
    assert month_deadline("2026-10", 45) == at("2026-12-16")
    assert month_deadline("2026-12", 0) == at("2027-01-01")


@pytest.mark.parametrize(
    ("now", "days", "expected"),
    [
        ("2026-12-15T23:59", 45, "2026-09"),  # October's composite is not late yet
        ("2026-12-16T00:00", 45, "2026-10"),
        ("2026-11-25T12:00", 25, "2026-09"),
        ("2026-11-26T00:00", 25, "2026-10"),
    ],
)
def test_the_month_due_moves_at_the_deadline(now, days, expected):
    assert due_month(at(now), days, "2019-07").month == expected


def test_january_statistics_are_due_with_february():
    # January's deadline has passed, February's not: December is still the month due
    assert due_month(at("2026-02-27"), 25, "2019-07", january_with_february=True).month == "2025-12"
    assert due_month(at("2026-03-26"), 25, "2019-07", january_with_february=True).month == "2026-02"
    assert due_for("gvio_statistics", at("2026-02-27"), "2019-07", None, DEFAULTS).month == "2025-12"
    assert due_for("ntl_composite", at("2026-03-18"), "2019-07", None, DEFAULTS).month == "2026-01"


def test_a_region_with_an_end_is_due_up_to_its_end_and_nothing_before_its_start():
    assert due_month(at("2030-01-01"), 45, "2019-07", "2021-12").month == "2021-12"
    assert due_month(at("2019-08-01"), 45, "2019-07") is None


def test_outputs_are_due_after_the_composite():
    composite = due_for("ntl_composite", at("2026-12-17"), "2019-07", None, DEFAULTS)
    grid = due_for("gvio_grid", at("2026-12-17"), "2019-07", None, DEFAULTS)
    assert (composite.month, grid.month) == ("2026-10", "2026-09")


def test_a_verdict_names_the_missing_month_and_since_when():
    due = due_month(at("2022-06-01"), 45, "2019-07", "2021-12")
    late = judge("ntl_composite", {"2021-10", "2021-11"}, due, 45)
    assert not late.passed and late.overdue_month == "2021-12"
    assert late.description == (
        "ntl_composite: 2021-12 is missing, due since 2022-02-15 00:00 UTC; the newest month built is 2021-11."
    )
    fresh = judge("ntl_composite", {"2021-11", "2021-12"}, due, 45)
    assert fresh.passed and fresh.overdue_month is None and "fresh" in fresh.description


def test_the_summary_is_ok_only_without_anything_overdue():
    due = due_month(at("2022-06-01"), 45, "2021-09", "2021-12")
    built = {"2021-09", "2021-11"}
    row = AssetHealth(judge("ntl_composite", built, due, 45), missing_months("2021-09", "2021-12", built))
    summary = HealthSummary("r", (row,))
    assert not summary.ok and row.missing == ("2021-10", "2021-12")
    assert "OVERDUE: 2021-12 due since 2022-02-15 00:00 UTC" in "\n".join(summary.lines())
    assert "| ntl_composite | 2021-11 | 2021-10, 2021-12 |" in summary.markdown()


def test_incidents_open_once_and_resolve_once():
    late = Incident("freshness 2021-12", "2021-12 late", "text")
    first = changes({}, {late.key: late})
    assert first.opened == [late] and first.resolved == {}
    open_titles = read_cursor(write_cursor({late.key: late.title}))
    assert changes(open_titles, {late.key: late}).opened == []  # the next tick, or a restarted daemon
    assert changes(open_titles, {}).resolved == {"freshness 2021-12": "2021-12 late"}
    assert read_cursor(None) == {} and read_cursor("not json") == {}


def test_messages_name_region_job_months_reason_and_link():
    text = run_failed("pearl", "monthly_features", ["ntl_composite"], ["2021-11"], "bad\n  file", "http://ui/runs/1")
    assert text == (
        "[sacnn pearl] Run failed: monthly_features (ntl_composite) for 2021-11. Reason: bad file. http://ui/runs/1"
    )
    assert months_text([f"2021-{m:02d}" for m in range(1, 13)]) == "12 months, 2021-01 .. 2021-12"


def test_the_monitoring_block_is_checked_like_the_others(tmp_path):
    from config import write_region  # tests/config/__init__.py

    head = "name: r\nstart: 2020-01\n"
    write_region(tmp_path, head + "monitoring:\n  nightlights_due_days: 60\n  ui_url: https://dagster.example.org\n")
    region = load_region(tmp_path)
    assert region.monitoring.nightlights_due_days == 60 and region.monitoring.statistics_due_days == 25
    write_region(tmp_path, head + "monitoring:\n  nightlights_due_dayz: 60\n")
    with pytest.raises(BadInput, match="did you mean nightlights_due_days"):
        load_region(tmp_path)
    write_region(tmp_path, head + "monitoring:\n  statistics_due_days: -3\n")
    with pytest.raises(BadInput, match="statistics_due_days must be a whole number of days"):
        load_region(tmp_path)
