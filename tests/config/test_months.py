import pytest

from sacnn_dagster.config.months import add_months, contiguous_stretches, month_range, parse_month


def test_month_arithmetic_crosses_years():
    assert add_months("2014-12", 1) == "2015-01"
    assert add_months("2015-01", -13) == "2013-12"
    assert month_range("2019-11", "2020-02") == ["2019-11", "2019-12", "2020-01", "2020-02"]
    assert month_range("2020-02", "2020-01") == []


@pytest.mark.parametrize("text", ["2020-13", "2020-00", "20-01", "2020/01", ""])
def test_a_bad_month_is_named_with_where_it_came_from(text):
    with pytest.raises(ValueError, match=f"region.yaml start: month {text!r} is not YYYY-MM"):
        parse_month(text, "region.yaml start")


def test_contiguous_stretches_of_unsorted_months():
    months = ["2014-04", "2013-12", "2014-01", "2014-02", "2014-07", "2014-06"]
    assert contiguous_stretches(months) == [("2013-12", "2014-02"), ("2014-04", "2014-04"), ("2014-06", "2014-07")]
    assert contiguous_stretches([]) == []
