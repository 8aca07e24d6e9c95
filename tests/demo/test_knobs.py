"""The generator's bench knobs (DemoSpec: growth, shocks, cloudiness, light response, dark factories, POI
churn, separate January releases, an unpublished last year) do what they say, on tiny regions; and at their
defaults the demo regions are those the project has always had."""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sacnn_dagster.demo import DemoSpec, make_demo_region, plan_quirks
from sacnn_dagster.demo.economy import place_factories, simulate_output, truth_grids
from sacnn_dagster.demo.geography import build_geography
from sacnn_dagster.demo.nightlights import factory_light
from sacnn_dagster.demo.region_generator import _csv_bytes, dark_factories
from sacnn_dagster.demo.spec import DEFAULT_SHOCKS
from sacnn_dagster.geo.grid import lattice_window

SMALL = DemoSpec.small()
#: sha256 of files of the two demo regions as generated before the knobs existed (the demo's key numbers:
#: every monthly total, every published value, every factory, the first POI export).
SMALL_DIGESTS = {
    "pois/2019-07.csv": "98a46b3505ccd98fbbd87ed25e26e86faa6b511e38ed650c4e645ae9d7778f7c",
    "statistics/gvio_monthly.csv": "bc5fc1b8af651cf435281212d7f339ff3fb42b52a60673506fb14988626c3f65",
    "validation/factories_true.csv": "037e8c980829052f8a910d43b652247ff0318188a39104d9db75549ac216823d",
    "validation/gvio_monthly_true.csv": "cd8a3478f950dcea2a00ee6845c7c449e4d46f4d7aaa77a0cc7b0dd7e771e741",
}
FULL_MONTHLY_TRUE = "d6b0d817ae603379b02f15e150a27890b70690fb158cfc7b04a448c809fc0bba"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _region(tmp_path: Path, **knobs) -> Path:
    return make_demo_region(tmp_path / "region", replace(SMALL, **knobs))


def _truth(region: Path) -> pd.Series:
    return pd.read_csv(region / "validation" / "gvio_monthly_true.csv").set_index("month")["gvio"]


def _snapshot_factories(region: Path, month: str) -> set[str]:
    data = (region / "pois" / f"{month}.csv").read_bytes()
    encoding = "gbk" if month == plan_quirks(SMALL).gbk_snapshot else "utf-8"
    rows = pd.read_csv(io.BytesIO(data), dtype=str, encoding=encoding, on_bad_lines="skip")
    return set(rows.loc[rows.typecode.str.contains("170300", na=False), "id"])


def test_small_demo_defaults_unchanged(tmp_path):
    region = make_demo_region(tmp_path / "region", SMALL)
    assert {name: _sha((region / name).read_bytes()) for name in SMALL_DIGESTS} == SMALL_DIGESTS


def test_full_demo_economy_unchanged():
    spec = DemoSpec()
    geo = build_geography(spec)
    grid = lattice_window(spec.bbox, origin=spec.lattice_origin)
    factories = place_factories(spec, geo, grid, len(spec.months))
    totals = truth_grids(factories, simulate_output(spec, factories, spec.months), grid).sum(axis=(1, 2), dtype=float)
    data = _csv_bytes(["month", "gvio"], ([m, repr(float(v))] for m, v in zip(spec.months, totals)))
    assert _sha(data) == FULL_MONTHLY_TRUE


def test_light_response_flattens_at_the_top():
    output = np.array([[0.5], [1.0], [8.0], [16.0]])
    capacity, operating = np.ones(4), np.ones((4, 1))

    def per_unit(response):
        idle = factory_light(0 * output, capacity, operating, response)
        return ((factory_light(output, capacity, operating, response) - idle) / output)[:, 0]

    linear, power, saturating = per_unit("linear"), per_unit("power"), per_unit("saturating")
    np.testing.assert_allclose(linear, linear[0])  # light proportional to output
    assert power[3] < power[0]  # sub-linear
    # saturating: the top factory gains far less light per unit than under the plain power law
    assert saturating[3] / saturating[0] < 0.5 * power[3] / power[0]
    light = factory_light(output, capacity, operating, "saturating")
    assert light[3, 0] - light[2, 0] < 0.1 * (light[1, 0] - light[0, 0]) * (16 - 8) / (1.0 - 0.5)


def test_dark_factories_give_no_light():
    spec = replace(SMALL, dark_share=0.3)
    geo = build_geography(spec)
    grid = lattice_window(spec.bbox, origin=spec.lattice_origin)
    factories = place_factories(spec, geo, grid, len(spec.months))
    output = simulate_output(spec, factories, spec.months)
    dark = dark_factories(spec, factories)
    assert dark_factories(SMALL, factories) is None
    assert not dark[~factories.inside].any()  # neighbouring cities keep their light
    assert 0.2 < dark[factories.inside].mean() < 0.4
    light = factory_light(output, factories.capacity, factories.active(len(spec.months)), "power", dark)
    assert np.all(light[dark] == 0) and np.all(light[~dark & factories.active(len(spec.months))[:, 0], 0] > 0)
    assert output[dark].sum() > 0  # they still produce


def test_poi_churn_changes_the_snapshot_by_about_the_share(tmp_path):
    plain = make_demo_region(tmp_path / "plain", SMALL)
    churned = make_demo_region(tmp_path / "churned", replace(SMALL, poi_churn=0.2))
    snapshots = plan_quirks(SMALL).snapshot_months
    truth = pd.read_csv(churned / "validation" / "factories_true.csv", dtype=str, keep_default_na=False)
    # the first snapshot is the reference list: churn only starts after it
    assert _snapshot_factories(plain, snapshots[0]) == _snapshot_factories(churned, snapshots[0])
    month = snapshots[1]
    opened = (truth.first_month == "") | (truth.first_month <= month)
    operating = set(truth.id[opened & ((truth.last_month == "") | (month <= truth.last_month))])
    for region, share in ((plain, 0.0), (churned, 0.2)):
        listed = _snapshot_factories(region, month)
        left_off = len(operating - listed) / len(operating)
        ghosts = len(listed - operating) / len(operating)
        # malformed rows cost about 1 % of the factories their place, as in real exports
        assert share - 0.01 <= left_off <= share + 0.04
        # as many closed or not-yet-open factories listed, as far as there are any
        assert (ghosts > 0.05 if share else ghosts == 0) and ghosts <= share + 0.01


def test_unpublished_last_year_and_separate_january(tmp_path):
    region = _region(tmp_path, unpublished_last_year=True, combined_jan_feb=False)
    periods = pd.read_csv(region / "statistics" / "gvio_monthly.csv", dtype=str).month
    assert not periods.str.startswith("2021").any()
    assert "2020-01" in set(periods) and "2020-02" in set(periods)
    assert not periods.str.contains("/").any()
    assert len(_truth(region)) == len(SMALL.months)  # the truth still covers every month


@pytest.mark.parametrize("index", [0.5, 0.8])
def test_shocks_cut_the_citywide_output(tmp_path, index):
    shock = (("2021-04", index),)
    truth, plain = _truth(_region(tmp_path, shocks=shock)), _truth(make_demo_region(tmp_path / "plain", SMALL))
    ratio = truth / plain
    default_shock = [month for month, _ in DEFAULT_SHOCKS if month in ratio.index]
    elsewhere = ratio.drop(["2021-04", *default_shock])
    # factories feel the shock with their own sensitivity (0.5-1.5x), so the city feels about the index
    assert ratio["2021-04"] / elsewhere.mean() == pytest.approx(index, abs=0.05)
    assert elsewhere.std() < 0.005
    # the default 2020 shock is gone
    assert ratio["2020-02"] / elsewhere.mean() > 1.2


def test_growth_and_decline(tmp_path):
    spec = replace(SMALL, growth=0.10, growth_break="2021-01", late_growth=-0.30)
    truth = _truth(make_demo_region(tmp_path / "region", spec))
    ratio = truth / _truth(make_demo_region(tmp_path / "plain", SMALL))
    assert ratio["2020-10"] / ratio["2019-10"] == pytest.approx(np.exp(0.10 - 0.02), abs=0.03)
    # after the break the city follows the late trend, its factories' own growth stopped
    assert ratio["2021-10"] / ratio["2021-01"] == pytest.approx(np.exp((-0.30 - 0.02) * 9 / 12), abs=0.03)


def test_no_new_year_stop(tmp_path):
    truth = _truth(_region(tmp_path, new_year_loss=0.0))
    ratio = truth / _truth(make_demo_region(tmp_path / "plain", SMALL))
    # Chinese New Year fell in January/February: only those months gain, by up to the default 30 % loss
    assert ratio["2020-01"] > ratio["2020-03"] + 0.02 and ratio["2021-02"] > ratio["2021-03"] + 0.02
    assert ratio[[m for m in ratio.index if m[5:] not in ("01", "02")]].std() < 0.005


def test_cloudiness_and_extra_cloudy_months():
    clear = plan_quirks(replace(SMALL, cloudiness=0.0))
    assert all(m.endswith("-06") for m in clear.cloudy_months)
    extra = plan_quirks(replace(SMALL, extra_cloudy=("2021-04", "2021-05")))
    assert set(extra.cloudy_months) == set(plan_quirks(SMALL).cloudy_months) | {"2021-04", "2021-05"}
    # moving the cloud knobs never moves another quirk
    assert extra.missing_statistics == plan_quirks(SMALL).missing_statistics == clear.missing_statistics


def test_knob_values_are_checked():
    with pytest.raises(ValueError, match="light_response"):
        replace(SMALL, light_response="log")
    with pytest.raises(ValueError, match="growth_break"):
        replace(SMALL, growth_break="2030-01")
    with pytest.raises(ValueError, match="dark_share"):
        replace(SMALL, dark_share=1.0)
