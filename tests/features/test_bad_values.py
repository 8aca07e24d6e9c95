"""Values that cannot be right, refused where they enter (issue 12): non-finite or implausible statistics
named by file and line; POI lines no row can be quarantined by line number, the rest of the snapshot kept."""

import pytest

from sacnn_dagster.config.bad_input import BadInput
from sacnn_dagster.features.pois import MAX_LINE_CHARS, extract_factories, read_snapshot
from sacnn_dagster.features.statistics import parse_statistics
from sacnn_dagster.features.statistics_plausible import MAX_RATIO

from .test_pois import AREA, HEADER, ROWS

MONTHS = [f"2020-{m:02d}" for m in range(1, 13)]


def statistics_file(tmp_path, values, ytd=None):
    body = "".join(f"{m},{v}\n" for m, v in zip(MONTHS, values))
    path = tmp_path / "gvio_monthly.csv"
    path.write_text("month,gvio\n" + body, encoding="utf-8")
    return path


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "NaN", "1e400", "Infinity"])
def test_a_non_finite_statistic_is_refused_with_file_and_line(tmp_path, value):
    path = statistics_file(tmp_path, [100, 110, value, 95])
    with pytest.raises(BadInput) as error:
        parse_statistics(path)
    assert str(error.value) == f"{path}, line 4: gvio {value!r} is not a finite number"


def test_a_negative_ytd_and_a_non_finite_ytd_are_refused(tmp_path):
    path = tmp_path / "gvio_monthly.csv"
    path.write_text("month,gvio,gvio_ytd\n2020-01,100,100\n2020-02,90,inf\n")
    with pytest.raises(BadInput, match=r"line 3: gvio_ytd 'inf' is not a finite number"):
        parse_statistics(path)
    path.write_text("month,gvio,gvio_ytd\n2020-01,100,-1\n")
    with pytest.raises(BadInput, match=r"line 2: gvio_ytd -1.0 must be a non-negative"):
        parse_statistics(path)


def test_a_value_in_the_wrong_unit_is_refused_naming_the_median_and_the_rule(tmp_path):
    values = [150.0, 140, 160, 155, 170, 165]
    with pytest.raises(BadInput, match=r"line 5: gvio 1\.55e\+10 亿元 is over 1000 times the file's median"):
        parse_statistics(statistics_file(tmp_path, [*values[:3], 155 * 1e8, *values[4:]]))  # in 元
    with pytest.raises(BadInput, match=r"line 3: gvio 0\.014 亿元 is under 1/1000 .*万亿元 instead of 亿元"):
        parse_statistics(statistics_file(tmp_path, [150, 0.014, 160, 155]))  # in 万亿元


def test_real_swings_and_a_published_zero_are_kept(tmp_path):
    # a lockdown month at a tenth, a boom at 50 times: far from any unit mistake; zero is no unit mistake either
    values = [150, 15, 160, 150 * 50, 0, 140, 150 * (MAX_RATIO - 1)]
    table = parse_statistics(statistics_file(tmp_path, values))
    assert table["gvio"].tolist() == values


def test_combined_values_are_judged_per_month(tmp_path):
    path = tmp_path / "gvio_monthly.csv"
    path.write_text("month,gvio\n2020-01/2020-02,300\n2020-03,160\n2020-04,150\n2020-05,155\n")
    assert parse_statistics(path)["n_months"].tolist() == [2, 1, 1, 1]


def test_line_numbers_count_blank_lines(tmp_path):
    path = tmp_path / "gvio_monthly.csv"
    path.write_text("month,gvio\n2020-01,100\n\n\n2020-02,nan\n")
    with pytest.raises(BadInput, match=r"gvio_monthly.csv, line 5: "):
        parse_statistics(path)


def test_a_statistics_field_over_the_csv_limit_is_named(tmp_path):
    path = tmp_path / "gvio_monthly.csv"
    path.write_text('month,gvio\n2020-01,100\n"2020-02,' + "x" * 200_000 + "\n")
    with pytest.raises(BadInput, match=r"gvio_monthly.csv, line 3: not CSV: field larger than field limit"):
        parse_statistics(path)


def test_a_megabyte_poi_line_is_quarantined_and_the_rest_kept(tmp_path):
    path = tmp_path / "2020-01.csv"
    long_line = "B0FF00009," + "x" * 1_000_000
    path.write_text(HEADER + "\n".join([*ROWS[:2], long_line, *ROWS[2:]]) + "\n", encoding="utf-8")
    snapshot = read_snapshot(path)
    assert snapshot.unreadable_lines == (4,)
    rejected = snapshot.rejected.set_index("line")
    assert rejected.loc[4, "reason"] == f"line over {MAX_LINE_CHARS:,} characters"
    assert rejected.loc[4, "raw"].startswith("B0FF00009,xxx") and len(rejected.loc[4, "raw"]) < 300
    result = extract_factories(snapshot, ("1703",), "gcj02", AREA)
    assert result.factories["id"].tolist() == ["B0FF000001", "B0FF000002"]  # as without the long line
    assert result.counts["rows"] == len(ROWS) + 1 and result.counts["malformed_rows"] == 2
    assert sorted(result.rejected["line"]) == [4, 8, 9, 10]  # the rows after it keep their line numbers


def test_a_runaway_quote_costs_its_record_only(tmp_path):
    path = tmp_path / "2020-01.csv"
    runaway = ['B0FF00009,"' + "y" * 60_000, "y" * 60_000, "y" * 60_000]  # a quote never closed
    path.write_text(HEADER + "\n".join([ROWS[0], *runaway, ROWS[1]]) + "\n", encoding="utf-8")
    snapshot = read_snapshot(path)
    assert snapshot.unreadable_lines == (5,)
    assert snapshot.rejected["reason"].tolist() == ["not CSV: field larger than field limit (131072)"]
    assert snapshot.rows["line"].tolist() == [2, 6]


def test_a_header_that_no_snapshot_has_is_named(tmp_path):
    path = tmp_path / "2020-01.csv"
    path.write_text("x" * (MAX_LINE_CHARS + 1) + "\n" + ROWS[0] + "\n")
    with pytest.raises(BadInput, match=r"2020-01.csv, line 1: the header is over"):
        read_snapshot(path)
    path.write_text("")
    with pytest.raises(BadInput, match=r"2020-01.csv: empty file"):
        read_snapshot(path)
