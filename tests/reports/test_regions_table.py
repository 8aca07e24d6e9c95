"""The regions side by side: the served estimate, and the published value only for a month published alone."""

from __future__ import annotations

import pandas as pd

from sacnn_dagster.reports.regions_table import region_row, regions_chart_png, regions_tables

ESTIMATES = pd.DataFrame(
    {
        "model": ["sacnn", "linear"],
        "estimate": [10.0, 9.0],
        "lower": [8.0, 7.0],
        "upper": [12.0, 11.0],
        "selected": [False, True],
        "model_version": ["v1", "v1"],
    }
)
STATISTICS = pd.DataFrame(
    {"first_month": ["2021-01", "2021-03"], "last_month": ["2021-02", "2021-03"], "n_months": [2, 1], "gvio": [20, 5]}
)


def test_the_served_model_and_the_month_published_alone():
    row = region_row("a", "2021-03", ESTIMATES, STATISTICS)
    assert (row["model"], row["estimate"], row["published"]) == ("linear", 9.0, 5.0)
    assert region_row("a", "2021-01", ESTIMATES, STATISTICS)["published"] is None  # Jan-Feb combined
    assert region_row("a", "2021-03", ESTIMATES, None)["published"] is None


def test_one_table_per_month_regions_sorted_and_a_chart():
    rows = [region_row(r, m, ESTIMATES, STATISTICS) for r in ("b", "a") for m in ("2021-03", "2021-04")]
    tables = regions_tables(rows)
    assert list(tables) == ["2021-03", "2021-04"]
    assert tables["2021-04"]["region"].tolist() == ["a", "b"]
    assert tables["2021-04"]["published"].isna().all()
    assert regions_chart_png(rows)[:4] == b"\x89PNG"
