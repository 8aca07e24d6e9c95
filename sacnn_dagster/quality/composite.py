"""Verdicts on the month's stored night-light composite (`ntl_composite`): radiance present and in its
physical range, coverage counts valid, enough of the area seen cloud-free."""

from __future__ import annotations

import numpy as np

from sacnn_dagster.config.limits import Limits
from sacnn_dagster.quality.verdict import Measured, Severity, Verdict, finite_or_none, share

#: Physical range of VIIRS DNB monthly average radiance (nW/cm²/sr). Dark pixels go slightly negative
#: from sensor noise (the demo generator floors its noise at -1.5, the value used here); the brightest gas
#: flares stay well under 1e5. Anything outside is a fill value or a wrong scale (seen: Mumbai 0..2,292,
#: the demo -1.5..3,038). Slightly negative noise is harmless either way: cleaning sets it to 0.
RADIANCE_RANGE = (-1.5, 1e5)


def composite_quality(radiance: np.ndarray, coverage: np.ndarray, inside: np.ndarray) -> Measured:
    """What the month's stored composite holds inside the area (`inside`: pixel centres in the boundary,
    as the readers clip): radiance present and in range, coverage present and not negative, share seen
    cloud-free. Without a published cf_cvg every pixel with radiance counts as observed (as cleaning
    treats it)."""
    area = int(inside.sum())
    values = radiance[inside].astype(np.float64)
    cover = coverage[inside].astype(np.float64)
    has_value = np.isfinite(values)
    present = values[has_value]
    low, high = RADIANCE_RANGE
    published = bool(np.isfinite(cover).any())
    if published:
        invalid_cover = int((has_value & ~(np.isfinite(cover) & (cover >= 0))).sum())
        observed = int((cover > 0).sum())
    else:
        invalid_cover, observed = 0, int(has_value.sum())
    return {
        "area_pixels": area,
        "share_without_radiance": share(area - int(has_value.sum()), area) if area else 1.0,
        "radiance_min": finite_or_none(present.min()) if present.size else None,
        "radiance_max": finite_or_none(present.max()) if present.size else None,
        "pixels_out_of_range": int(((present < low) | (present > high)).sum()),
        "coverage_published": published,
        "coverage_invalid_pixels": invalid_cover,
        "share_observed": share(observed, area),
    }


def composite_valid(q: Measured, limits: Limits = Limits()) -> Verdict:
    """Radiance on (almost) all of the area and inside the physical range, coverage counts valid."""
    low, high = RADIANCE_RANGE
    most = limits.max_share_without_radiance
    measured = {**q, "range_min": low, "range_max": high, "max_share_without_radiance": most}
    faults = []
    if not q["area_pixels"]:
        faults.append("no pixel of the composite lies inside the area")
    elif q["share_without_radiance"] > most:
        faults.append(f"{q['share_without_radiance']:.1%} of the area has no radiance (at most {most:.0%})")
    if q["pixels_out_of_range"]:
        faults.append(
            f"{q['pixels_out_of_range']} pixel(s) outside {low:g}..{high:g} nW/cm²/sr "
            f"(min {q['radiance_min']:.6g}, max {q['radiance_max']:.6g}): a fill value or a wrong scale"
        )
    if q["coverage_invalid_pixels"]:
        faults.append(f"{q['coverage_invalid_pixels']} pixel(s) with radiance but no valid cf_cvg count")
    if faults:
        return Verdict(False, "; ".join(faults), measured)
    return Verdict(
        True,
        f"radiance {q['radiance_min']:.2f}..{q['radiance_max']:.2f} nW/cm²/sr on "
        f"{1 - q['share_without_radiance']:.1%} of {q['area_pixels']} pixels",
        measured,
    )


def composite_coverage(q: Measured, limits: Limits = Limits()) -> Verdict:
    """Enough of the area seen cloud-free to stand on its own (a warning: cloudy months are real)."""
    observed = q["share_observed"]
    measured = {
        "share_observed": observed,
        "min_share_observed": limits.min_share_observed,
        "coverage_published": q["coverage_published"],
        "area_pixels": q["area_pixels"],
    }
    basis = "cf_cvg > 0" if q["coverage_published"] else "no cf_cvg published: every pixel with radiance"
    if observed < limits.min_share_observed:
        return Verdict(
            False,
            f"only {observed:.1%} of the area observed ({basis}); the month's features come "
            f"mostly from neighbouring months",
            measured,
            Severity.WARN,
        )
    return Verdict(True, f"{observed:.1%} of the area observed ({basis})", measured, Severity.WARN)
