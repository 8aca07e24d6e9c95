"""region.yaml read through its schema: a typo, a wrong type or a value out of range is an error naming the file,
the key with its path, the value and what is allowed (the nearest valid key for a typo), before any run starts;
valid files load as they always did."""

import shutil
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from sacnn_dagster.config.limits import Limits
from sacnn_dagster.config.monitoring import MonitoringSettings
from sacnn_dagster.config.nightlight_settings import BLACK_MARBLE_URL, EOG_URL, NightlightSettings
from sacnn_dagster.config.region import RegionConfig, RegionSettings, load_region

from . import write_region


def problem(root: Path, **settings) -> str:
    """The message load_region gives for a region.yaml with `settings` besides a valid name and start."""
    write_region(root, yaml.safe_dump({"name": "somewhere", "start": "2020-01", **settings}))
    with pytest.raises(ValueError) as error:
        load_region(root)
    return str(error.value)


@pytest.mark.parametrize(
    ("settings", "told"),
    [
        ({"bufer_m": 3000}, "region.yaml: unknown key(s) bufer_m (did you mean buffer_m?)"),
        ({"satelites": ["npp"]}, "region.yaml: unknown key(s) satelites (did you mean satellites?)"),
        ({"Name": "x"}, "unknown key(s) Name (did you mean name?)"),
        ({"checks": {"r2_flor": 0.5}}, "region.yaml: checks: unknown key(s) r2_flor (did you mean r2_floor?)"),
        (
            {"checks": {"max_factory_change": 0.4}},
            "region.yaml: checks: unknown key(s) max_factory_change (did you mean max_factory_count_change?)",
        ),
        (
            {"nightlights": {"source": "eog", "layuot": "notile"}},
            "region.yaml: nightlights: unknown key(s) layuot (did you mean layout?)",
        ),
        (
            {"nightlights": {"source": "s3", "url": "s3://b/p", "max_concurent_downloads": 4}},
            "nightlights: unknown key(s) max_concurent_downloads (did you mean max_concurrent_downloads?)",
        ),
    ],
)
def test_an_unknown_key_is_named_with_its_block_the_file_and_the_nearest_valid_key(tmp_path, settings, told):
    message = problem(tmp_path, **settings)
    assert message.startswith(str(tmp_path / "region.yaml"))
    assert told in message
    assert "\n" not in message  # one problem, one line


def test_an_unknown_key_with_no_near_match_lists_the_valid_ones(tmp_path):
    message = problem(tmp_path, colour="red", checks={"r2_flor": 0.5, "zzz": 1})
    lines = sorted(message.splitlines(), key=lambda line: ": checks: " in line)
    assert len(lines) == 2, message
    assert "unknown key(s) colour; known: name, start, end, poi_crs" in lines[0]
    assert "checks: unknown key(s) r2_flor (did you mean r2_floor?), zzz; known: max_share_without_radiance" in lines[1]
    assert all(line.startswith(f"{tmp_path / 'region.yaml'}: ") for line in lines)


def test_a_key_that_is_not_text_is_unknown(tmp_path):
    write_region(tmp_path, "name: x\nstart: '2020-01'\n1: 2\n")
    with pytest.raises(ValueError, match=r"region.yaml: unknown key\(s\) 1; known: name"):
        load_region(tmp_path)


@pytest.mark.parametrize(
    ("settings", "told"),
    [
        ({"buffer_m": "far"}, "buffer_m must be a positive number of metres, not 'far'"),
        ({"urban_threshold": "high"}, "urban_threshold must be a valid number, not 'high'"),
        ({"satellites": "npp"}, "satellites must be a non-empty list drawn from npp, j01, j02, not 'npp'"),
        ({"name": None}, "name must be a valid string, not None"),
        ({"pois": ["a", "b"]}, "pois must be a valid string, not ['a', 'b']"),
        ({"start": "2020/01"}, "start: month '2020/01' is not YYYY-MM"),
        ({"checks": {"r2_floor": "0.5"}}, "checks.r2_floor must be a number up to 1, not '0.5'"),
        ({"checks": {"max_share_without_radiance": True}}, "checks.max_share_without_radiance must be a non-negative"),
        ({"checks": [0.5]}, "checks must be a mapping of max_share_without_radiance, min_share_observed"),
        ({"nightlights": "eog"}, "nightlights must be a mapping of source, url, layout, layer, max_concurrent_"),
        (
            {"nightlights": {"max_concurrent_downloads": 2.5}},
            "nightlights.max_concurrent_downloads must be a valid integer, got a number with a fractional part, "
            "not 2.5",
        ),
    ],
)
def test_a_wrong_type_names_the_key_the_value_and_what_is_allowed(tmp_path, settings, told):
    message = problem(tmp_path, **settings)
    assert f"{tmp_path / 'region.yaml'}: {told}" in message, message


@pytest.mark.parametrize(
    ("settings", "told"),
    [
        ({"buffer_m": -5}, "buffer_m must be a positive number of metres, not -5"),
        ({"buffer_m": 0}, "buffer_m must be a positive number of metres, not 0"),
        (
            {"satellites": ["npp", "j03", "x"]},
            "satellites must be a non-empty list drawn from npp, j01, j02, not ['npp', 'j03', 'x']",
        ),
        ({"configs": []}, "configs must be a non-empty list drawn from vcmcfg, vcmslcfg, not []"),
        ({"poi_crs": "utm"}, "poi_crs must be 'gcj02' or 'wgs84', not 'utm'"),
        ({"factory_typecodes": ["17a3"]}, """factory_typecodes must be digit prefixes of Amap type codes, e.g. ["""),
        ({"start": "2020-13"}, "start: 2020-13: month 13 does not exist (01..12)"),
        ({"end": "2019-12"}, "end 2019-12 is before start 2020-01"),
        ({"cache_max_gb": -1}, "cache_max_gb must be greater than or equal to 0, not -1"),
        ({"checks": {"r2_floor": 1.5}}, "checks.r2_floor must be a number up to 1, not 1.5"),
        ({"checks": {"estimate_band": [0.5, 1.0]}}, "checks.estimate_band must be [low, high] with 0 < low < 1 < high"),
        ({"checks": {"min_share_observed": float("inf")}}, "checks.min_share_observed must be a non-negative share"),
        (
            {"nightlights": {"source": "eogg"}},
            "nightlights.source must be 'local', 'eog', 'blackmarble', 's3' or 'geotiff', not 'eogg'",
        ),
        ({"nightlights": {"layout": "tiles"}}, "nightlights.layout must be 'tiled' or 'notile', not 'tiles'"),
        ({"nightlights": {"source": "s3"}}, "nightlights: url must be s3://bucket/prefix for source s3, not None"),
        (
            {"nightlights": {"source": "blackmarble", "url": "ftp://laads"}},
            "nightlights: url must be an http(s) URL for source blackmarble, not 'ftp://laads'",
        ),
        (
            {"nightlights": {"max_concurrent_downloads": 0}},
            "nightlights.max_concurrent_downloads must be greater than or equal to 1, not 0",
        ),
    ],
)
def test_a_value_out_of_range_names_the_key_the_value_and_what_is_allowed(tmp_path, settings, told):
    message = problem(tmp_path, **settings)
    assert f"{tmp_path / 'region.yaml'}: {told}" in message, message


def test_every_problem_is_told_at_once_one_line_each(tmp_path):
    message = problem(tmp_path, bufer_m=3000, poi_crs="utm", checks={"r2_floor": 2})
    assert [line.split(": ", 1)[1] for line in message.splitlines()] == [
        "poi_crs must be 'gcj02' or 'wgs84', not 'utm'",
        "checks.r2_floor must be a number up to 1, not 2",
        "unknown key(s) bufer_m (did you mean buffer_m?)",
    ]


def test_missing_keys_and_files_that_are_no_mapping(tmp_path):
    write_region(tmp_path, "")
    with pytest.raises(ValueError, match="required key 'name' is missing") as error:
        load_region(tmp_path)
    assert "required key 'start' is missing" in str(error.value)
    write_region(tmp_path, "- name: x\n")
    with pytest.raises(ValueError, match=r"region.yaml: expected a mapping of settings \(name, start, "):
        load_region(tmp_path)
    write_region(tmp_path, "name: [unclosed\n")
    with pytest.raises(ValueError, match=r"region.yaml, line 2, column 1: not valid YAML"):
        load_region(tmp_path)


def test_a_minimal_file_gets_the_documented_defaults(tmp_path):
    region = load_region(write_region(tmp_path, "name: somewhere\nstart: '2020-01'\n"))
    assert region == RegionConfig(root=tmp_path.resolve(), name="somewhere", start="2020-01")
    assert (region.end, region.poi_crs, region.factory_typecodes, region.buffer_m) == (None, "gcj02", ("1703",), 1500.0)
    assert (region.satellites, region.configs) == (("npp", "j01", "j02"), ("vcmcfg", "vcmslcfg"))
    assert region.urban_threshold == 10.0
    assert region.nightlights == NightlightSettings(source="local", url=None, layout="tiled")
    assert region.nightlights.max_concurrent_downloads == 2
    assert (region.pois_location, region.statistics_location) == ("pois", "statistics/gvio_monthly.csv")
    assert (region.s3_endpoint_url, region.cache_max_gb, region.checks) == (None, 20.0, Limits())
    assert region.boundary_path == tmp_path.resolve() / "boundary.geojson"
    assert region.resolve("pois") == str(tmp_path.resolve() / "pois") and region.resolve("s3://b/k") == "s3://b/k"


def test_every_setting_loads_as_written_with_the_conversions_it_always_had(tmp_path):
    text = """\
name: 2020
start: '2019-12'
end: '2020-03'
poi_crs: WGS84
factory_typecodes: 1703
buffer_m: 3000
satellites: [j01, npp]
configs: [vcmslcfg]
urban_threshold: 5
pois: s3://bucket/pois
statistics: /data/gvio.csv
s3_endpoint_url: http://minio:9000
cache_max_gb: null
checks: {r2_floor: 0.5, estimate_band: [0.3, 3], max_factory_count_change: 1}
nightlights: {source: eog, layout: notile, max_concurrent_downloads: '3'}
monitoring: {nightlights_due_days: 30, ui_url: 'https://dagster.example.org'}
"""
    region = load_region(write_region(tmp_path, text))
    values = {name: getattr(region, name) for name in RegionConfig.model_fields}
    assert values == {
        "root": tmp_path.resolve(),
        "name": "2020",
        "start": "2019-12",
        "end": "2020-03",
        "poi_crs": "wgs84",
        "factory_typecodes": ("1703",),
        "buffer_m": 3000.0,
        "satellites": ("j01", "npp"),
        "configs": ("vcmslcfg",),
        "urban_threshold": 5.0,
        "pois": "s3://bucket/pois",
        "statistics": "/data/gvio.csv",
        "s3_endpoint_url": "http://minio:9000",
        "cache_max_gb": None,
        "checks": Limits(r2_floor=0.5, estimate_band=(0.3, 3.0), max_factory_count_change=1.0),
        "nightlights": NightlightSettings(source="eog", url=EOG_URL, layout="notile", max_concurrent_downloads=3),
        "monitoring": MonitoringSettings(nightlights_due_days=30, ui_url="https://dagster.example.org"),
    }
    # numbers stay floats wherever they always were: they end up in metadata and JSON outputs
    assert type(region.buffer_m) is float and type(region.urban_threshold) is float
    assert all(type(x) is float for x in region.checks.estimate_band)
    assert type(region.checks.max_factory_count_change) is float


@pytest.mark.parametrize(
    ("nightlights", "url"),
    [
        ({"source": "eog"}, EOG_URL),
        ({"source": "eog", "url": None}, EOG_URL),
        ({"source": "blackmarble"}, BLACK_MARBLE_URL),
        ({"source": "s3", "url": "s3://bucket/viirs"}, "s3://bucket/viirs"),
        ({"source": "local"}, None),
        ({"source": "local", "url": "elsewhere"}, "elsewhere"),
        (None, None),
    ],
)
def test_a_remote_source_without_url_gets_its_own_server(tmp_path, nightlights, url):
    write_region(tmp_path, yaml.safe_dump({"name": "x", "start": "2020-01", "nightlights": nightlights}))
    assert load_region(tmp_path).nightlights.url == url


def test_the_demo_regions_file_loads(small_demo_region):
    region = load_region(small_demo_region)
    spec = yaml.safe_load((small_demo_region / "region.yaml").read_text())
    assert (region.name, region.start, region.end) == (spec["name"], spec["start"], spec["end"])
    assert (region.factory_typecodes, region.buffer_m) == (("1703",), 1500.0)


def test_settings_are_immutable_hashable_and_compare_by_value(tmp_path):
    write_region(tmp_path, "name: x\nstart: '2020-01'\nchecks: {r2_floor: 0.5}\n")
    first, second = load_region(tmp_path), load_region(tmp_path)
    assert first == second and hash(first) == hash(second)
    with pytest.raises(ValidationError, match="frozen"):
        first.buffer_m = 1.0
    with pytest.raises(ValidationError, match="frozen"):
        first.checks.r2_floor = 0.1
    assert {Limits(), Limits()} == {Limits()} and Limits(r2_floor=0.5) != Limits()


@pytest.mark.parametrize("model", [RegionSettings, NightlightSettings, Limits])
def test_every_setting_says_what_it_is_for(model: type[BaseModel]):
    """The schema is the reference: every key has its description (the docstring under the field)."""
    undocumented = [name for name, field in model.model_fields.items() if not field.description]
    assert not undocumented


def test_the_file_and_the_folder_are_required(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_region(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="region.yaml is missing"):
        load_region(tmp_path)
    (tmp_path / "region.yaml").write_text("name: x\nstart: '2020-01'\n")
    with pytest.raises(FileNotFoundError, match="boundary.geojson is missing"):
        load_region(tmp_path)


def test_a_typo_stops_the_command_before_any_run_starts(small_demo_region, tmp_path, monkeypatch, capsys):
    from sacnn_dagster.cli.main import main  # here: the other tests of this file need no Dagster import

    region = tmp_path / "region"
    shutil.copytree(small_demo_region, region)
    settings = yaml.safe_load((region / "region.yaml").read_text())
    settings["bufer_m"] = settings.pop("buffer_m") * 2
    (region / "region.yaml").write_text(yaml.safe_dump(settings))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    out = tmp_path / "out"

    code = main(["run", "--region", str(region), "--storage", str(out)])

    stderr = capsys.readouterr().err
    assert code == 2, stderr
    assert stderr.strip() == f"error: {region / 'region.yaml'}: unknown key(s) bufer_m (did you mean buffer_m?)"
    assert not out.exists() or not any(out.iterdir())


def test_a_month_that_does_not_exist_is_named_on_the_command_line(tmp_path, capsys):
    from sacnn_dagster.cli.main import main

    with pytest.raises(SystemExit) as exit_:
        main(["run", "--region", str(tmp_path), "--start", "2020-13"])
    assert exit_.value.code == 2
    assert "argument --start: 2020-13: month 13 does not exist (01..12)" in capsys.readouterr().err
