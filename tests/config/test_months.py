import pytest

from sacnn_dagster.config.months import add_months, contiguous_stretches, month_range, parse_month


def test_month_arithmetic_crosses_years():
    assert add_months("2014-12", 1) == "2015-01"
    assert add_months("2015-01", -13) == "2013-12"
    assert month_range("2019-11", "2020-02") == ["2019-11", "2019-12", "2020-01", "2020-02"]
    assert month_range("2020-02", "2020-01") == []


@pytest.mark.parametrize("text", ["20-01", "2020/01", "2020-1", "January", ""])
def test_a_bad_month_is_named_with_where_it_came_from(text):
    with pytest.raises(ValueError, match=f"region.yaml start: month {text!r} is not YYYY-MM"):
        parse_month(text, "region.yaml start")


@pytest.mark.parametrize(("text", "month"), [("2020-13", "13"), ("2020-00", "00"), ("2020-99", "99")])
def test_a_month_that_does_not_exist_is_told_as_such_not_as_a_bad_shape(text, month):
    with pytest.raises(ValueError) as error:
        parse_month(text, "region.yaml start")
    assert str(error.value) == f"region.yaml start: {text}: month {month} does not exist (01..12)"
    with pytest.raises(ValueError) as error:
        parse_month(text)
    assert str(error.value) == f"{text}: month {month} does not exist (01..12)"


def test_every_real_month_parses():
    assert [parse_month(f"2020-{m:02d}").month for m in range(1, 13)] == list(range(1, 13))


def test_contiguous_stretches_of_unsorted_months():
    months = ["2014-04", "2013-12", "2014-01", "2014-02", "2014-07", "2014-06"]
    assert contiguous_stretches(months) == [("2013-12", "2014-02"), ("2014-04", "2014-04"), ("2014-06", "2014-07")]
    assert contiguous_stretches([]) == []
