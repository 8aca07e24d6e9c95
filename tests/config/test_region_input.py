"""region.yaml and the region's GeoJSON refused at the door: each problem a `BadInput` naming the file and the
key, or the line and column (issue 12's rows: `buffer_m: "abc"`, invalid YAML or JSON, a name outside the
output folder)."""

import json

import pytest

from sacnn_dagster.config.bad_input import BadInput
from sacnn_dagster.config.region import load_region

from . import BOX, write_region


def _refused(tmp_path, text: str) -> BadInput:
    write_region(tmp_path, text)
    with pytest.raises(BadInput) as error:
        load_region(tmp_path)
    assert str(error.value).startswith(str(tmp_path.resolve()))
    return error.value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"abc"', "buffer_m must be a positive number of metres, not 'abc'"),
        ("abc", "buffer_m must be a positive number of metres, not 'abc'"),
        ("yes", "buffer_m must be a positive number of metres, not True"),
        (".inf", "buffer_m must be a positive number of metres, not inf"),
        ("1e400", "buffer_m must be a positive number of metres, not '1e400'"),
    ],
)
def test_a_buffer_that_is_no_number_names_the_file_the_key_and_what_is_allowed(tmp_path, value, message):
    error = _refused(tmp_path, f"name: x\nstart: 2020-01\nbuffer_m: {value}\n")
    assert str(error) == f"{tmp_path.resolve() / 'region.yaml'}: {message}"


def test_other_numbers_refuse_true_and_infinity(tmp_path):
    assert "urban_threshold must be a valid number, not True" in str(
        _refused(tmp_path, "name: x\nstart: 2020-01\nurban_threshold: true\n")
    )
    assert "cache_max_gb must be a finite number, not inf" in str(
        _refused(tmp_path, "name: x\nstart: 2020-01\ncache_max_gb: .inf\n")
    )


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("name: x\nstart: 2020-01\n  bad: [\n", 3, 6),
        ("name: x\n\tstart: 2020-01\n", 2, 1),
        ("name: [x\nstart: 2020-01\n", 2, 6),
        ('name: x\nstart: "2020-01\n', 3, 1),
    ],
)
def test_invalid_yaml_names_the_line_and_column(tmp_path, text, line, column):
    error = _refused(tmp_path, text)
    assert (error.file, error.line, error.column) == (str(tmp_path.resolve() / "region.yaml"), line, column)
    assert f"region.yaml, line {line}, column {column}: not valid YAML: " in str(error)
    assert "\n" not in str(error)  # no excerpt of the file, one line


def test_text_that_is_not_utf8_is_named_with_its_place(tmp_path):
    write_region(tmp_path, "")
    (tmp_path / "region.yaml").write_bytes(b"name: x\nstart: \xff2020-01\n")
    with pytest.raises(BadInput, match=r"region.yaml, line 2, column 8: not UTF-8 text"):
        load_region(tmp_path)


@pytest.mark.parametrize("name", ["../../../../x", "/tmp/x", "..", ".", "a/b", "a\\b", "c:", " x", "x\ty"])
def test_a_name_that_is_no_plain_folder_name_is_refused(tmp_path, name):
    error = _refused(tmp_path, json.dumps({"name": name, "start": "2020-01"}))
    assert "region.yaml: name: " in str(error) and "is not a plain folder name" in str(error)


@pytest.mark.parametrize("name", ["demo-city", "pearl_river.2024", "苏州", "Region 7"])
def test_plain_names_are_kept(tmp_path, name):
    write_region(tmp_path, json.dumps({"name": name, "start": "2020-01"}))
    assert load_region(tmp_path).name == name


@pytest.mark.parametrize("layer", ["boundary.geojson", "districts.geojson", "landuse.geojson"])
def test_every_geojson_is_parsed_before_anything_runs(tmp_path, layer):
    write_region(tmp_path, "name: x\nstart: 2020-01\n")
    text = json.dumps(BOX, indent=1)
    (tmp_path / layer).write_text(text.replace('"Feature"', '"Feature",,', 1))
    with pytest.raises(BadInput) as error:
        load_region(tmp_path)
    line = text[: text.index('"Feature"')].count("\n") + 1
    assert str(error.value).startswith(f"{tmp_path.resolve() / layer}, line {line}, column ")
    assert "not valid JSON: Expecting property name" in str(error.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[]", "expected an object with a `type`, found a list"),
        ('{"type": "FeatureCollection"}', "features must be a list of Features, found null"),
        ('{"type": "Polygon", "coordinates": [[[1, 2], [3]]]}', r"the geometry.coordinates\[0\]\[1\] must be a pos"),
        ('{"type": "Circle"}', "the geometry.type must be one of FeatureCollection"),
        ('{"type": "Point", "coordinates": [1, NaN]}', "line 1, column 38: not valid JSON: NaN"),
    ],
)
def test_json_that_is_not_geojson_names_the_member(tmp_path, content, message):
    write_region(tmp_path, "name: x\nstart: 2020-01\n")
    (tmp_path / "landuse.geojson").write_text(content)
    with pytest.raises(BadInput, match=message):
        load_region(tmp_path)
