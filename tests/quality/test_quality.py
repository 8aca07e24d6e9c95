"""The measurements behind the asset checks, and their thresholds against real and demo data."""

import math

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from mumbai_region import CLOUDS, DATA, RADIANCE, band_months
from rasterio.features import geometry_mask

from sacnn_dagster.config.limits import Limits
from sacnn_dagster.demo import DemoSpec
from sacnn_dagster.demo.economy import place_factories, simulate_output
from sacnn_dagster.demo.geography import build_geography
from sacnn_dagster.demo.poi_exports import build_catalogue
from sacnn_dagster.demo.spec import plan_quirks
from sacnn_dagster.geo.grid import lattice_window
from sacnn_dagster.quality.composite import composite_coverage, composite_quality, composite_valid
from sacnn_dagster.quality.estimates import ESTIMATE_HISTORY_MONTHS, MIN_HISTORY_MONTHS, estimate_plausibility
from sacnn_dagster.quality.factories import FactorySet, factory_count_change
from sacnn_dagster.quality.grid import grid_sum
from sacnn_dagster.quality.model import heldout_r2
from sacnn_dagster.quality.patches import patch_completeness
from sacnn_dagster.quality.verdict import Severity

DEMO_SPECS = (DemoSpec.small(), DemoSpec())


def demo_world(spec):
    """The demo generator's geography and factories (no rasters written)."""
    geo = build_geography(spec)
    grid = lattice_window(spec.bbox, origin=spec.lattice_origin)
    return geo, place_factories(spec, geo, grid, len(spec.months))


def composite(shape=(20, 30), value=5.0, count=10.0):
    radiance = np.full(shape, value, dtype=np.float32)
    coverage = np.full(shape, count, dtype=np.float32)
    inside = np.zeros(shape, bool)
    inside[2:18, 3:27] = True
    radiance[~inside] = np.nan
    coverage[~inside] = np.nan
    return radiance, coverage, inside


def test_good_composite_is_valid_and_measured():
    radiance, coverage, inside = composite()
    radiance[5, 5], radiance[6, 6] = -1.2, 4000.0  # sensor noise and a steel works: physical
    q = composite_quality(radiance, coverage, inside)
    assert q["area_pixels"] == 16 * 24 and q["share_without_radiance"] == 0.0
    assert q["radiance_min"] == pytest.approx(-1.2) and q["radiance_max"] == 4000.0
    assert q["share_observed"] == 1.0 and q["coverage_published"]
    verdict = composite_valid(q)
    assert verdict.passed and verdict.severity is Severity.ERROR
    assert verdict.measured["range_min"] == -1.5 and "on 100.0% of 384 pixels" in verdict.description


def test_fill_values_and_wrong_scale_are_out_of_range():
    radiance, coverage, inside = composite()
    radiance[4:8, 4:8] = -999.0  # a fill value nobody declared as nodata
    verdict = composite_valid(composite_quality(radiance, coverage, inside))
    assert not verdict.passed and verdict.measured["pixels_out_of_range"] == 16
    assert "16 pixel(s) outside -1.5..100000" in verdict.description and "(min -999, max 5)" in verdict.description
    scaled = composite_quality(radiance * 0 + 3e5, coverage, inside)  # W instead of nW
    assert not composite_valid(scaled).passed


def test_radiance_missing_over_the_area_and_coverage_without_count():
    radiance, coverage, inside = composite()
    radiance[2:10, 3:27] = np.nan  # half the area: a missing tile
    coverage[2:10, 3:27] = np.nan
    q = composite_quality(radiance, coverage, inside)
    assert q["share_without_radiance"] == pytest.approx(0.5)
    assert "50.0% of the area has no radiance" in composite_valid(q).description
    # a few scattered no-retrieval pixels are tolerated
    radiance, coverage, inside = composite()
    radiance[3, 4:20:2] = np.nan
    coverage[3, 4:20:2] = np.nan
    assert composite_valid(composite_quality(radiance, coverage, inside)).passed
    # radiance where the published coverage has no valid count
    radiance, coverage, inside = composite()
    coverage[10, 10], coverage[11, 11] = np.nan, -3
    verdict = composite_valid(composite_quality(radiance, coverage, inside))
    assert not verdict.passed and verdict.measured["coverage_invalid_pixels"] == 2
    # nothing inside the area at all
    verdict = composite_valid(composite_quality(radiance, coverage, np.zeros_like(inside)))
    assert not verdict.passed and "no pixel" in verdict.description


def test_coverage_is_a_warning_and_uses_the_months_own_cf_cvg():
    radiance, coverage, inside = composite()
    coverage[inside] = 0
    coverage[2, 3:10] = 2  # 7 of 384 pixels seen cloud-free: 1.8 %
    cloudy = composite_quality(radiance, coverage, inside)
    assert composite_valid(cloudy).passed  # clouds are not bad data ...
    verdict = composite_coverage(cloudy)
    assert not verdict.passed and verdict.severity is Severity.WARN  # ... but worth a look
    assert verdict.measured["share_observed"] == pytest.approx(7 / 384) and "only 1.8%" in verdict.description
    # no cf_cvg published: every pixel with radiance counts as observed, as cleaning treats it
    unpublished = composite_quality(radiance, np.full_like(coverage, np.nan), inside)
    assert not unpublished["coverage_published"] and unpublished["share_observed"] == 1.0
    assert "no cf_cvg published" in composite_coverage(unpublished).description


def test_every_month_of_the_real_mumbai_cube_passes_the_composite_checks():
    """130 real months, monsoon included: the thresholds let real data through, by a margin."""
    districts = gpd.read_file(DATA / "mumbai_districts.shp").to_crs(4326)
    area = shapely.union_all(districts.geometry.values)
    shares = {}
    with rasterio.open(RADIANCE) as rad, rasterio.open(CLOUDS) as cld:
        inside = geometry_mask([area], out_shape=rad.shape, transform=rad.transform, invert=True)
        for band, month in enumerate(band_months(rad), start=1):
            radiance = rad.read(band).astype(np.float32)
            radiance[radiance == rad.nodata] = np.nan
            q = composite_quality(radiance, cld.read(band).astype(np.float32), inside)
            valid, covered = composite_valid(q), composite_coverage(q)
            assert valid.passed, (month, valid.description)
            assert covered.passed, (month, covered.description)
            shares[month] = q["share_observed"]
    assert len(shares) == 130
    assert min(shares.values()) == pytest.approx(0.0566, abs=1e-3)  # 2022-07, the cloudiest month
    assert shares["2019-09"] < 0.2 and Limits().min_share_observed < min(shares.values())


def test_factory_count_change_between_snapshots():
    before = FactorySet("2020-04", "2019-07", frozenset(f"F{i}" for i in range(100)))
    first = factory_count_change(before, None)
    assert first.passed and "no earlier month" in first.description
    grown = FactorySet("2020-05", "2020-05", frozenset(f"F{i}" for i in range(5, 115)))
    verdict = factory_count_change(grown, before)
    assert verdict.passed and verdict.measured["relative_change"] == pytest.approx(0.10)
    assert verdict.measured["added"] == 15 and verdict.measured["removed"] == 5
    truncated = FactorySet("2020-05", "2020-05", frozenset(f"F{i}" for i in range(60)))
    verdict = factory_count_change(truncated, before)
    assert not verdict.passed and verdict.severity is Severity.WARN
    assert "-40.0%, beyond ±25%" in verdict.description and verdict.measured["previous_snapshot"] == "2019-07"


def test_demo_snapshots_stay_within_the_factory_count_threshold():
    """Consecutive POI snapshots of the small and full demo regions change their factory count by at most
    10 %, well inside the threshold."""
    for spec in DEMO_SPECS:
        geo, factories = demo_world(spec)
        catalogue = build_catalogue(spec, geo, factories, len(spec.months))
        inside = shapely.contains_xy(geo.boundary, catalogue.lng.to_numpy(), catalogue.lat.to_numpy())
        counts = []
        for month in plan_quirks(spec).snapshot_months:
            t = spec.months.index(month)
            exists = (catalogue.open_index <= t) & (t < catalogue.close_index)
            counts.append(int((exists & catalogue.is_factory & inside).sum()))
        changes = [abs(b / a - 1) for a, b in zip(counts, counts[1:])]
        assert changes and max(changes) <= 0.11 < Limits().max_factory_count_change, (spec.name, counts)


def test_patch_completeness():
    ids = ["a", "b", "c"]
    rows, cols = np.array([0, 5, 9]), np.array([0, 3, 19])
    assert patch_completeness(ids, ["c", "a", "b"], rows, cols, (10, 20)).passed
    verdict = patch_completeness(
        ids + ["d"], ["a", "b", "b", "x"], np.array([0, 5, 5, 10]), np.array([0, 3, 3, 1]), (10, 20)
    )
    assert not verdict.passed and verdict.severity is Severity.ERROR
    m = verdict.measured
    assert m["factories_without_patch"] == 2 and m["patches_without_factory"] == 1
    assert m["duplicate_patch_ids"] == 1 and m["patches_off_grid"] == 1
    assert "2 factories without a patch (e.g. c, d)" in verdict.description
    assert "off the 10x20 grid" in verdict.description


def test_estimate_band_around_recent_months():
    history = [100.0, 104.0, 98.0, 110.0, 95.0, 102.0, 101.0]
    normal = estimate_plausibility(75.0, 65.0, 85.0, history)  # a Chinese New Year dip
    assert normal.passed and normal.measured["history_median"] == 101.0
    assert normal.measured["ratio_to_median"] == pytest.approx(75 / 101)
    doubled = estimate_plausibility(230.0, 200.0, 260.0, history)
    assert not doubled.passed and doubled.severity is Severity.WARN and "outside 0.5..2" in doubled.description
    young = estimate_plausibility(500.0, 450.0, 550.0, history[:5])  # too little history to judge
    assert young.passed and young.measured["history_months"] == 5 and "nothing to compare with" in young.description


@pytest.mark.parametrize("estimate, lower, upper", [(math.nan, 1.0, 2.0), (-5.0, -8.0, -1.0), (50.0, 60.0, 70.0)])
def test_impossible_estimates_are_errors(estimate, lower, upper):
    verdict = estimate_plausibility(estimate, lower, upper, [100.0] * 12)
    assert not verdict.passed and verdict.severity is Severity.ERROR and "impossible estimate" in verdict.description


def test_true_demo_totals_stay_inside_the_estimate_band():
    """The demo economy's deepest dip (Chinese New Year in the 2020 shock) and highest peak against the
    median of the previous 12 months: the band leaves room for both."""
    for spec in DEMO_SPECS:
        _, factories = demo_world(spec)
        total = simulate_output(spec, factories, spec.months)[factories.inside].sum(axis=0)
        window = ESTIMATE_HISTORY_MONTHS
        ratios = [total[i] / np.median(total[max(0, i - window) : i]) for i in range(MIN_HISTORY_MONTHS, len(total))]
        low, high = Limits().estimate_band
        assert low < min(ratios) < 0.75 and 1.05 < max(ratios) < high, spec.name


def test_grid_sum_within_float32_rounding():
    assert grid_sum(123.456, 123.456 * (1 + 3e-7)).passed
    off = grid_sum(100.0, 99.0)
    assert not off.passed and off.measured["relative_error"] == pytest.approx(0.01)
    assert not grid_sum(100.0, math.nan).passed  # a NaN pixel anywhere must not pass


def scores(r2_random, n_random, r2_time, n_time=12):
    return {"random": {"r2": r2_random, "n_test": n_random}, "time": {"r2": r2_time, "n_test": n_time}}


def test_heldout_r2_floor_judges_only_splits_with_enough_labels():
    small_demo = {"sacnn": scores(0.16, 4, 0.86), "linear": scores(0.03, 4, -0.11)}
    verdict = heldout_r2(small_demo)
    assert verdict.passed and "time 0.86 (12 labels)" in verdict.description and "random" not in verdict.description
    assert verdict.measured["random_r2"] == 0.16 and verdict.measured["linear_time_r2"] == -0.11
    bad = heldout_r2({"sacnn": scores(0.75, 16, 0.55)})
    assert not bad.passed and bad.severity is Severity.ERROR and "below it on time" in bad.description
    assert not heldout_r2({"sacnn": scores(math.nan, 16, 0.9)}).passed
    unjudged = heldout_r2({"sacnn": scores(-2.0, 3, -1.0, 4)})
    assert unjudged.passed and "not judged" in unjudged.description
