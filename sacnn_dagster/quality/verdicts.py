"""Data-quality measurements behind the asset checks, as pure functions of arrays and tables.

Each function measures one property of one month's output and returns a `Verdict`: passed or not, a
sentence for the user, the numbers it measured (the UI shows them on the check) and whether a failure is
an error (bad data that would poison what follows) or a warning (unusual, worth a look, not wrong).

The thresholds were chosen on the small and full demo regions, an untuned demo region and the real Mumbai
VIIRS cube (tests/data): every month of those passes with a margin, and each threshold says below what
kind of fault it fires. Those a region may want to set otherwise are `Limits` (region.yaml `checks:`);
the rest are physical or numerical facts, module constants.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from sacnn_dagster.config.limits import Limits

#: Physical range of VIIRS DNB monthly average radiance (nW/cm²/sr). Dark pixels go slightly negative
#: from sensor noise (the demo generator floors its noise at -1.5, the value used here); the brightest gas
#: flares stay well under 1e5. Anything outside is a fill value or a wrong scale (seen: Mumbai 0..2,292,
#: the demo -1.5..3,038). Slightly negative noise is harmless either way: cleaning sets it to 0.
RADIANCE_RANGE = (-1.5, 1e5)
#: The previous months compared with (calendar months, those that have an estimate) ...
ESTIMATE_HISTORY_MONTHS = 12
#: ... and how many of them must exist before a month is judged at all.
MIN_HISTORY_MONTHS = 6
#: The grid is float32: its sum may differ from the estimate by float32 rounding, never by more.
GRID_SUM_TOLERANCE = 1e-4
#: R² of fewer held-out labels is noise (the small demo's random split holds out 4 labels, R² 0.16, while
#: its 12-label time split gives 0.86 for the same model): such a split is reported, not judged.
MIN_HELD_OUT_LABELS = 10


class Severity(Enum):
    ERROR = "error"  # bad data: what follows must not use it (blocking checks stop it)
    WARN = "warn"  # unusual: shown in the UI, nothing stops


Measured = dict[str, float | int | str | bool | None]


@dataclass(frozen=True)
class Verdict:
    passed: bool
    description: str
    measured: Measured = field(default_factory=dict)
    severity: Severity = Severity.ERROR


def _number(x: float) -> float | None:
    """A finite float, or None (the UI and the event log want no NaN)."""
    return float(x) if x is not None and math.isfinite(x) else None


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


# --- ntl_composite -------------------------------------------------------------------------------------


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
        "share_without_radiance": _share(area - int(has_value.sum()), area) if area else 1.0,
        "radiance_min": _number(present.min()) if present.size else None,
        "radiance_max": _number(present.max()) if present.size else None,
        "pixels_out_of_range": int(((present < low) | (present > high)).sum()),
        "coverage_published": published,
        "coverage_invalid_pixels": invalid_cover,
        "share_observed": _share(observed, area),
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
    share = q["share_observed"]
    measured = {
        "share_observed": share,
        "min_share_observed": limits.min_share_observed,
        "coverage_published": q["coverage_published"],
        "area_pixels": q["area_pixels"],
    }
    basis = "cf_cvg > 0" if q["coverage_published"] else "no cf_cvg published: every pixel with radiance"
    if share < limits.min_share_observed:
        return Verdict(
            False,
            f"only {share:.1%} of the area observed ({basis}); the month's features come "
            f"mostly from neighbouring months",
            measured,
            Severity.WARN,
        )
    return Verdict(True, f"{share:.1%} of the area observed ({basis})", measured, Severity.WARN)


# --- factories -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FactorySet:
    """One month's factories as the count check sees them."""

    month: str
    snapshot: str
    ids: frozenset[str]


def factory_count_change(current: FactorySet, previous: FactorySet | None, limits: Limits = Limits()) -> Verdict:
    """The factory count against the previous month that has factories (a warning: a real wave of
    openings or closures is possible, a broken export more likely)."""
    n = len(current.ids)
    most = limits.max_factory_count_change
    measured: Measured = {
        "factories": n,
        "snapshot": current.snapshot,
        "max_relative_change": most,
        "previous_month": None,
        "previous_snapshot": None,
        "previous_factories": None,
        "relative_change": None,
        "added": None,
        "removed": None,
    }
    if previous is None:
        return Verdict(True, f"{n} factories; no earlier month to compare with", measured, Severity.WARN)
    m = len(previous.ids)
    change = (n - m) / m if m else (0.0 if n == 0 else math.inf)
    measured.update(
        {
            "previous_month": previous.month,
            "previous_snapshot": previous.snapshot,
            "previous_factories": m,
            "relative_change": _number(change),
            "added": len(current.ids - previous.ids),
            "removed": len(previous.ids - current.ids),
        }
    )
    text = (
        f"{n} factories (snapshot {current.snapshot}) against {m} in {previous.month} "
        f"(snapshot {previous.snapshot}): {change:+.1%}"
    )
    passed = abs(change) <= most
    text = text if passed else f"{text}, beyond ±{most:.0%}"
    return Verdict(passed, text, measured, Severity.WARN)


# --- factory_patches -----------------------------------------------------------------------------------


def patch_completeness(
    factory_ids: Sequence[str],
    patch_ids: Sequence[str],
    rows: np.ndarray,
    cols: np.ndarray,
    grid_shape: tuple[int, int],
) -> Verdict:
    """Exactly one patch row for every factory of the month, each centred on a pixel of the month's grid."""
    factories, patches = set(factory_ids), list(patch_ids)
    missing = sorted(factories - set(patches))
    extra = sorted(set(patches) - factories)
    duplicates = len(patches) - len(set(patches))
    height, width = grid_shape
    rows, cols = np.asarray(rows), np.asarray(cols)
    off_grid = int(((rows < 0) | (rows >= height) | (cols < 0) | (cols >= width)).sum())
    measured: Measured = {
        "factories": len(factories),
        "patch_rows": len(patches),
        "factories_without_patch": len(missing),
        "patches_without_factory": len(extra),
        "duplicate_patch_ids": duplicates,
        "patches_off_grid": off_grid,
    }
    faults = []
    if missing:
        faults.append(f"{len(missing)} factories without a patch (e.g. {', '.join(missing[:5])})")
    if extra:
        faults.append(f"{len(extra)} patches of unknown factories (e.g. {', '.join(extra[:5])})")
    if duplicates:
        faults.append(f"{duplicates} duplicate patch row(s)")
    if off_grid:
        faults.append(f"{off_grid} patch(es) centred off the {height}x{width} grid")
    if faults:
        return Verdict(False, "; ".join(faults), measured)
    return Verdict(True, f"one patch for each of the {len(factories)} factories", measured)


# --- gvio_estimate -------------------------------------------------------------------------------------


def estimate_plausibility(
    estimate: float, lower: float, upper: float, history: Sequence[float], limits: Limits = Limits()
) -> Verdict:
    """The month's SA-CNN estimate against the median of the previous months' (`history`, at most
    ESTIMATE_HISTORY_MONTHS). An impossible estimate (not finite, negative, outside its own interval) is an
    error: the grid would spread it; one outside the plausible band is a warning."""
    low, high = limits.estimate_band
    measured: Measured = {
        "estimate": _number(estimate),
        "lower": _number(lower),
        "upper": _number(upper),
        "history_months": len(history),
        "history_median": None,
        "ratio_to_median": None,
        "band_low": low,
        "band_high": high,
    }
    if not all(math.isfinite(x) for x in (estimate, lower, upper)) or estimate < 0 or not lower <= estimate <= upper:
        return Verdict(False, f"impossible estimate {estimate} (interval {lower}..{upper}) 亿元", measured)
    median = float(np.median(history)) if len(history) else math.nan
    if len(history) < MIN_HISTORY_MONTHS or not median > 0:
        return Verdict(
            True,
            f"{estimate:.2f} 亿元; {len(history)} earlier month(s) with an estimate, fewer than "
            f"{MIN_HISTORY_MONTHS}: nothing to compare with",
            measured,
            Severity.WARN,
        )
    ratio = estimate / median
    measured.update({"history_median": median, "ratio_to_median": ratio})
    text = f"{estimate:.2f} 亿元 is {ratio:.2f} x the median of the previous {len(history)} months ({median:.2f})"
    passed = low <= ratio <= high
    return Verdict(passed, text if passed else f"{text}, outside {low:g}..{high:g}", measured, Severity.WARN)


# --- gvio_grid -----------------------------------------------------------------------------------------


def grid_sum(estimate: float, stored_sum: float) -> Verdict:
    """The stored grid adds up to the estimate it spreads (a NaN anywhere fails)."""
    error = abs(stored_sum - estimate) / max(abs(estimate), 1e-9)
    measured = {
        "estimate": _number(estimate),
        "grid_sum": _number(stored_sum),
        "relative_error": _number(error),
        "tolerance": GRID_SUM_TOLERANCE,
    }
    passed = error <= GRID_SUM_TOLERANCE
    text = f"grid sum {stored_sum:.4f} against estimate {estimate:.4f} 亿元 (relative error {error:.1e})"
    return Verdict(passed, text if passed else f"{text}, beyond {GRID_SUM_TOLERANCE:g}", measured)


# --- model_evaluation ----------------------------------------------------------------------------------


def heldout_r2(models: dict, limits: Limits = Limits(), model: str = "sacnn", baseline: str = "linear") -> Verdict:
    """`model`'s held-out R² on each split of `evaluation/summary.json` (`models` part) against the floor;
    splits with fewer than MIN_HELD_OUT_LABELS held-out labels are reported, not judged."""
    floor = limits.r2_floor
    measured: Measured = {"floor": floor, "min_held_out_labels": MIN_HELD_OUT_LABELS}
    judged, failing = [], []
    for split, scores in models[model].items():
        r2, n = _number(scores["r2"]), int(scores["n_test"])
        measured[f"{split}_r2"] = r2
        measured[f"{split}_held_out_labels"] = n
        if baseline in models:
            measured[f"{baseline}_{split}_r2"] = _number(models[baseline][split]["r2"])
        if n >= MIN_HELD_OUT_LABELS:
            judged.append(f"{split} {'NaN' if r2 is None else f'{r2:.3g}'} ({n} labels)")
            if r2 is None or r2 < floor:
                failing.append(split)
    if not judged:
        return Verdict(True, f"no split holds out {MIN_HELD_OUT_LABELS} labels: R² reported, not judged", measured)
    text = f"{model} held-out R²: {', '.join(judged)}; floor {floor}"
    return Verdict(not failing, text if not failing else f"{text}: below it on {', '.join(failing)}", measured)
