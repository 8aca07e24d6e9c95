import pytest

from sacnn_dagster.features.statistics import parse_statistics


def write(tmp_path, text, encoding="utf-8"):
    p = tmp_path / "gvio_monthly.csv"
    p.write_bytes(text.encode(encoding))
    return p


def test_combined_january_february_kept_as_one_value(tmp_path):
    p = write(tmp_path, "month,gvio,gvio_ytd\n2020-01/2020-02,5000.5,5000.5\n2020-03,3100,8100.5\n2020-05,3300,\n")
    t = parse_statistics(p)
    assert list(t["period"]) == ["2020-01/2020-02", "2020-03", "2020-05"]
    assert list(t["n_months"]) == [2, 1, 1]
    assert t.loc[0, "gvio"] == 5000.5  # not split
    assert t.loc[0, "first_month"] == "2020-01" and t.loc[0, "last_month"] == "2020-02"
    assert t["gvio_ytd"].isna().tolist() == [False, False, True]


@pytest.mark.parametrize(
    "body, message",
    [
        ("2020-13,1\n", "line 2"),
        ("2020-01,abc\n", "line 2: gvio 'abc'"),
        ("2020-01,1\n2020-01/2020-02,3\n", "line 3: month 2020-01 is already covered by line 2"),
        ("2020-03/2020-01,1\n", "ends before it starts"),
        ("2020-01,-5\n", "non-negative"),
    ],
)
def test_bad_rows_name_file_and_line(tmp_path, body, message):
    p = write(tmp_path, "month,gvio\n" + body)
    with pytest.raises(ValueError, match=message) as err:
        parse_statistics(p)
    assert str(p) in str(err.value)


def test_gbk_file_and_missing_column(tmp_path):
    p = write(tmp_path, "month,gvio,备注\n2020-03,1.5,全市\n", encoding="gbk")
    assert parse_statistics(p).loc[0, "gvio"] == 1.5
    with pytest.raises(ValueError, match="missing column 'gvio'"):
        parse_statistics(write(tmp_path, "month,value\n2020-03,1\n"))
