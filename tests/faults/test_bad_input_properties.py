"""Malformed region files fed to their readers (hypothesis): region.yaml, the GeoJSON layers, POI snapshots and
the statistics either read or fail with a `BadInput` naming the file (and the line where there is one), never
another error, and reading writes nothing. The readers are the pure functions the assets and the CLI call;
tests/faults/test_bad_input_cli.py shows the same errors reaching the user (exit 2, nothing written)."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sacnn_dagster.config.bad_input import BadInput
from sacnn_dagster.config.region import load_region
from sacnn_dagster.features.pois import AMAP_FIELDS, MAX_LINE_CHARS, read_snapshot
from sacnn_dagster.features.statistics import parse_statistics
from sacnn_dagster.geo.polygons import read_polygons
from tests.config import BOX

FAST = settings(max_examples=40, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GOOD_YAML = "name: somewhere\nstart: 2020-01\nend: 2020-12\nbuffer_m: 1500\ncheck:\n  r2_floor: 0.5\n"
GOOD_GEOJSON = json.dumps(BOX, indent=1)


def _mutated(text: str):
    """`text` with a few characters deleted, replaced or inserted: what a slip of the editor does."""

    @st.composite
    def build(draw):
        out = text
        for _ in range(draw(st.integers(1, 4))):
            at = draw(st.integers(0, len(out)))
            kind = draw(st.sampled_from(["delete", "insert", "replace"]))
            char = draw(st.one_of(st.sampled_from(list(":-[]{}\",'\t\n #&*!|>%@`\\0.e")), st.characters()))
            if kind == "delete":
                out = out[:at] + out[at + 1 :]
            elif kind == "insert":
                out = out[:at] + char + out[at:]
            else:
                out = out[:at] + char + out[at + 1 :]
        return out

    return build()


def _folder_listing(root: Path) -> list[tuple[str, int]]:
    return sorted((str(p.relative_to(root)), p.stat().st_size) for p in root.rglob("*"))


def _region(text_yaml: str, boundary: str | bytes = GOOD_GEOJSON) -> Path:
    root = Path(tempfile.mkdtemp(prefix="bad-input-"))
    data = boundary.encode("utf-8", "surrogatepass") if isinstance(boundary, str) else boundary
    (root / "boundary.geojson").write_bytes(data)
    (root / "region.yaml").write_bytes(text_yaml.encode("utf-8", "surrogatepass"))
    return root


def _reads_or_names(root: Path, file: str) -> None:
    before = _folder_listing(root)
    try:
        load_region(root)
    except BadInput as error:
        assert str(error).startswith(str(root.resolve() / file)), str(error)
        assert error.file == str(root.resolve() / file)
        assert "Traceback" not in str(error)
    assert _folder_listing(root) == before  # reading writes nothing


@FAST
@given(_mutated(GOOD_YAML))
def test_a_mangled_region_yaml_reads_or_is_named(text):
    _reads_or_names(_region(text), "region.yaml")


@FAST
@given(st.text(max_size=200))
def test_any_text_as_region_yaml_reads_or_is_named(text):
    _reads_or_names(_region(text), "region.yaml")


@FAST
@given(_mutated(GOOD_GEOJSON))
def test_a_mangled_boundary_is_named_before_gdal_sees_it_or_gdal_reads_it(text):
    root = _region("name: x\nstart: 2020-01\n", text)
    _reads_or_names(root, "boundary.geojson")
    try:
        layer = read_polygons(root / "boundary.geojson")
    except BadInput as error:
        assert error.file == str(root / "boundary.geojson")
    else:
        assert layer is not None


@FAST
@given(
    st.recursive(
        st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(["type", "features", "geometry", "coordinates", "properties", "geometries"])
                | st.text(max_size=3),
                inner,
                max_size=3,
            )
        ),
        max_leaves=12,
    )
)
def test_any_json_as_a_land_use_layer_reads_or_is_named(value):
    root = _region("name: x\nstart: 2020-01\n")
    (root / "landuse.geojson").write_text(json.dumps(value))
    _reads_or_names(root, "landuse.geojson")


ROW = 'B0FF{:06d},某厂,公司企业;工厂;工厂,170300,一路1号,"121.2,31.2",上海市,上海市,甲区'


@FAST
@given(
    st.lists(
        st.one_of(
            st.integers(0, 999).map(ROW.format),
            st.text(st.characters(blacklist_categories=["Cs"]), max_size=40),
            st.integers(MAX_LINE_CHARS - 2, MAX_LINE_CHARS + 2).map(lambda n: "z" * n),
            st.just('B0FF0,"never closed'),
            st.just("\x00"),
        ),
        max_size=12,
    )
)
def test_any_poi_rows_after_a_good_header_are_kept_or_quarantined_by_line(lines):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "2020-01.csv"
        path.write_text(",".join(AMAP_FIELDS) + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
        snapshot = read_snapshot(path)
        kept, rejected = snapshot.rows["line"].tolist(), snapshot.rejected["line"].tolist()
        physical = path.read_text(encoding="utf-8").count("\n") + 1
        assert all(2 <= line <= physical for line in kept + rejected)
        assert all(len(raw) <= MAX_LINE_CHARS for raw in snapshot.rejected["raw"])  # no megabyte line kept


@FAST
@given(st.text(max_size=300))
def test_any_text_as_a_poi_snapshot_reads_or_is_named(text):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "2020-01.csv"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            read_snapshot(path)
        except BadInput as error:
            assert error.file == str(path)


VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["inf", "-inf", "nan", "1e400", "", "abc", "1,5", "-0", "1e-300", "  12 "]),
    st.integers(-10, 10**12).map(str),
)
MONTHS = st.one_of(
    st.builds("{:04d}-{:02d}".format, st.integers(0, 2100), st.integers(0, 13)),
    st.builds("{}/{}".format, st.sampled_from(["2020-01", "2020-03"]), st.sampled_from(["2020-02", "2019-12"])),
    st.text(max_size=8),
)


@FAST
@given(st.lists(st.tuples(MONTHS, VALUES, VALUES), max_size=15))
def test_any_statistics_are_stored_finite_or_refused_with_file_and_line(rows):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "gvio_monthly.csv"
        body = "".join(f'"{m}","{v}","{y}"\n' for m, v, y in (tuple(s.replace('"', "") for s in r) for r in rows))
        path.write_text("month,gvio,gvio_ytd\n" + body, encoding="utf-8", errors="surrogatepass")
        try:
            table = parse_statistics(path)
        except BadInput as error:
            physical = path.read_text(encoding="utf-8", errors="surrogatepass").count("\n") + 1
            assert error.file == str(path) and error.line is not None and 1 <= error.line <= physical
        else:
            assert all(math.isfinite(v) and v >= 0 for v in table["gvio"])
            assert all(math.isnan(v) or (math.isfinite(v) and v >= 0) for v in table["gvio_ytd"])


@pytest.mark.parametrize("name", ["../../../../x", "/abs/x"])
def test_a_name_leaving_the_output_folder_is_named_with_the_key(name):
    root = _region(json.dumps({"name": name, "start": "2020-01"}))
    with pytest.raises(BadInput, match=r"region.yaml: name: "):
        load_region(root)
