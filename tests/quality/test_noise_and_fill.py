"""Noise around zero radiance is not a fill value: rare dips below -1.5 pass `composite_valid` and cleaning sets
them to 0; fill values (-999, 65535), a wrong scale and a wrong offset still block the month."""

from __future__ import annotations

import numpy as np
import pytest

from sacnn_dagster.features.cleaning import clean_ntl
from sacnn_dagster.quality.composite import composite_files_readable, composite_quality, composite_valid
from sacnn_dagster.quality.verdict import Severity


def lit_region(shape=(60, 80), seed=0):
    """A real-light region: a lit centre, dark surroundings with noise around zero."""
    rng = np.random.default_rng(seed)
    radiance = np.clip(rng.normal(0.0, 0.4, shape), -1.5, None).astype(np.float32)
    radiance[20:40, 30:50] += 40.0
    return radiance, np.full(shape, 8.0, np.float32), np.ones(shape, bool)


@pytest.mark.parametrize("dip", [-1.5001, -1.9, -2.36])
def test_a_noisy_pixel_below_the_range_passes_and_is_cleaned_to_zero(dip):
    radiance, coverage, inside = lit_region()
    radiance[5, 5] = dip
    verdict = composite_valid(composite_quality(radiance, coverage, inside))
    assert verdict.passed, verdict.description
    assert verdict.measured["pixels_noise_below_range"] == 1 and "set to 0 by cleaning" in verdict.description
    cleaned = clean_ntl(radiance, coverage)
    assert cleaned.radiance[5, 5] == 0.0 and np.nanmin(cleaned.radiance) == 0.0


@pytest.mark.parametrize(
    "damage, words",
    [
        (lambda r: r.__setitem__((slice(0, 4), slice(0, 4)), -999.0), "a fill value or a wrong scale"),
        (lambda r: r.__setitem__((slice(0, 1), slice(0, 1)), -999.0), "a fill value or a wrong scale"),
        (lambda r: r.__setitem__((slice(10, 12), slice(10, 12)), 65535.0), "a fill value or a wrong scale"),
        (lambda r: r.__imul__(1e4), "a fill value or a wrong scale"),  # W instead of nW: the lit centre > 1e5
        (lambda r: r.__isub__(3.0), "a wrong offset or scale"),  # every dark pixel below -1.5: not noise
    ],
    ids=["fill-999-block", "fill-999-pixel", "fill-65535", "scale", "offset"],
)
def test_fill_values_wrong_scale_and_offset_still_block(damage, words):
    radiance, coverage, inside = lit_region()
    damage(radiance)
    verdict = composite_valid(composite_quality(radiance, coverage, inside))
    assert not verdict.passed and words in verdict.description
    assert verdict.severity is Severity.ERROR


def test_noise_on_more_than_one_percent_of_the_area_is_not_noise():
    radiance, coverage, inside = lit_region()
    radiance[0, :47] = -2.0  # 47 of 4,800 pixels: just under 1 %
    assert composite_valid(composite_quality(radiance, coverage, inside)).passed
    radiance[1, :3] = -2.0  # 50: just over
    assert not composite_valid(composite_quality(radiance, coverage, inside)).passed


def test_a_broken_newer_file_is_a_warning_naming_it():
    verdict = composite_files_readable({"/nl/new.tif": "/nl/new.tif: cannot be read as a raster (empty)"})
    assert not verdict.passed and verdict.severity is Severity.WARN and "/nl/new.tif" in verdict.description
    assert composite_files_readable({}).passed
