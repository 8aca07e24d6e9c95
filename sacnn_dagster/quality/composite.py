"""Verdicts on the month's stored night-light composite (`ntl_composite`): radiance present and in its
physical range, coverage counts valid, enough of the area seen cloud-free."""

from __future__ import annotations

import numpy as np

from sacnn_dagster.config.limits import Limits
from sacnn_dagster.quality.verdict import Measured, Severity, Verdict, finite_or_none, share

#: Usual range of VIIRS DNB monthly average radiance (nW/cm²/sr). Dark pixels go slightly negative from
#: sensor noise (the demo generator floors its noise at -1.5); the brightest gas flares stay well under 1e5
#: (seen: Mumbai 0..2,292, the demo -1.5..3,038).
RADIANCE_RANGE = (-1.5, 1e5)

#: Noise and fill told apart by magnitude, then by share. Noise around zero radiance dips below -1.5 in the odd
#: pixel of a real-light region (-1.5 to -2.36 seen), never to -10: between the two it is noise, harmless
#: (cleaning sets every negative to 0), as long as it stays rare. Fill values are far outside (-999, -9999,
#: -32768, 3.4e38) or exact integer codes inside the range (65535, 65534, 32767: no measured radiance is exactly
#: one); a wrong scale puts many pixels out. Blocking a month for one noisy pixel once cost a region six months.
NOISE_FLOOR = -10.0
#: More than this share of the area between NOISE_FLOOR and -1.5 is not noise but a wrong offset or scale.
MAX_SHARE_NOISE = 0.01
FILL_CODES = (65535.0, 65534.0, 32767.0)


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
        "pixels_noise_below_range": int(((present < low) & (present >= NOISE_FLOOR)).sum()),
        "pixels_fill_or_scale": int(((present < NOISE_FLOOR) | (present > high) | np.isin(present, FILL_CODES)).sum()),
        "coverage_published": published,
        "coverage_invalid_pixels": invalid_cover,
        "share_observed": share(observed, area),
    }


def composite_valid(q: Measured, limits: Limits = Limits()) -> Verdict:
    """Radiance on (almost) all of the area, no fill value or wrong scale, coverage counts valid. Rare noise
    below the usual range passes (cleaning sets it to 0); a fill value, a wrong scale or an offset does not."""
    low, high = RADIANCE_RANGE
    most = limits.max_share_without_radiance
    measured = {
        **q,
        "range_min": low,
        "range_max": high,
        "noise_floor": NOISE_FLOOR,
        "max_share_noise": MAX_SHARE_NOISE,
        "max_share_without_radiance": most,
    }
    noise = q.get("pixels_noise_below_range", 0)
    fill = q.get("pixels_fill_or_scale", q["pixels_out_of_range"])
    noise_share = share(noise, q["area_pixels"])
    faults = []
    if not q["area_pixels"]:
        faults.append("no pixel of the composite lies inside the area")
    elif q["share_without_radiance"] > most:
        faults.append(f"{q['share_without_radiance']:.1%} of the area has no radiance (at most {most:.0%})")
    if fill:
        codes = "/".join(f"{c:g}" for c in FILL_CODES)
        faults.append(
            f"{q['pixels_out_of_range']} pixel(s) outside {low:g}..{high:g} nW/cm²/sr "
            f"(min {q['radiance_min']:.6g}, max {q['radiance_max']:.6g}), {fill} of them below {NOISE_FLOOR:g}, "
            f"above {high:g} or a fill code ({codes}): a fill value or a wrong scale"
        )
    if noise_share > MAX_SHARE_NOISE:
        faults.append(
            f"{noise_share:.1%} of the area between {NOISE_FLOOR:g} and {low:g} nW/cm²/sr (noise reaches at most "
            f"{MAX_SHARE_NOISE:.0%}): a wrong offset or scale"
        )
    if q["coverage_invalid_pixels"]:
        faults.append(f"{q['coverage_invalid_pixels']} pixel(s) with radiance but no valid cf_cvg count")
    if faults:
        return Verdict(False, "; ".join(faults), measured)
    noisy = f"; {noise} pixel(s) of noise below {low:g}, set to 0 by cleaning" if noise else ""
    return Verdict(
        True,
        f"radiance {q['radiance_min']:.2f}..{q['radiance_max']:.2f} nW/cm²/sr on "
        f"{1 - q['share_without_radiance']:.1%} of {q['area_pixels']} pixels{noisy}",
        measured,
    )


def composite_files_readable(broken: dict[str, str]) -> Verdict:
    """Every file of the month's newest version could be read. A warning: an older version that could was
    used, but the newer one (a reprocessing, usually) is lost until it is downloaded again."""
    measured = {"broken_files": len(broken), "files": "; ".join(broken) or None}
    if broken:
        listed = "; ".join(f"{why}" for why in broken.values())
        return Verdict(
            False,
            f"{len(broken)} newer file(s) could not be read and were passed over for an older version: {listed}",
            measured,
            Severity.WARN,
        )
    return Verdict(True, "the month's newest composite was read", measured, Severity.WARN)


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
