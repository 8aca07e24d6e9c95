"""Temporal gap-filling of factory features that clouds hid: pure functions, no state.

In a cloudy month, VIIRS sees nothing under a large cloud patch (30-70 % of a city in the worst months).
A factory under it has no feature at all (the dataset zero-fills it), exactly like a factory that does not
exist; one on the patch's edge has partial buffer sums. Fed as they are, such months look like months in
which half the factories stopped, and every model underestimates them badly.

`fill_tables` replaces each such *gap row* (factory, month) with an estimate from the same factory's
neighbouring months, carried by the month's own movement:

    filled[m, r, j] = interp[m, r, j] * ratio[m, j]

- `interp[m, r, j]`: linear interpolation in time between the factory's nearest valid months before and
  after `m` (leaving `m` itself out);
- `ratio[m, j]`: sum over the factories *valid* in month `m` of their actual value, divided by the sum of
  their leave-this-month-out interpolation. It carries what is common to the month (a New Year dip, a
  shock, the season) from the observed factories to the hidden ones. It is 1 when too few factories were
  observed to tell.

Derived columns are recomputed from the filled ones, as `features.patches` defines them: `bright_neighbour`
(buffer max > 2 x factory pixel), `factory_above_20`, `dominant_landuse` (the largest land-use sum, as the
dataset's 1-based index); `observed_fraction` of a filled row becomes the factory's reference fraction.

A row is *valid* when its `observed_fraction` is at least `valid_share` of the factory's reference (its
largest fraction over the months: a factory on the region's edge always sees part of its buffer only).
A factory absent from a month's POI list is also an all-zero row, and the dataset cannot tell it from a
hidden one. So a gap is filled only when it lies between two valid months of the factory at most
`max_gap` months apart (a factory delisted for longer stays absent), or, at either end of the series,
when it is at most `max_edge_gap` months long and the month is cloudy (at least `cloudy_share` of the
factories valid in a neighbouring month are not valid in it), so that the latest month, if cloudy, is
still usable while a factory dropped by a new snapshot is not brought back.

`fill_scalars` does the same for the month's urban/rural statistics: in a month whose observed pixel
count of a zone is below `valid_share` of its largest, the zone's four statistics are interpolated in time
from the nearest well-observed months (the observed part of a cloudy city is not a fair sample of it),
then moved with the month's own change of the gap-filled factory light (see `fill_scalars`).

Consequence for users: a cloudy month's filled input depends on its neighbouring months, so its estimate
can change when a later month arrives. Clear months are returned unchanged.
"""

from __future__ import annotations

import numpy as np

from sacnn_dagster.features.patches import FEATURE_COLUMNS, LU_SUM_COLUMNS
from sacnn_dagster.models.dataset import SCALAR_COLUMNS

#: Columns that are recomputed from the filled ones instead of interpolated.
_DERIVED = ("bright_neighbour", "factory_above_20", "dominant_landuse", "observed_fraction")


def _neighbours(valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For (M, R) `valid`: index of the nearest valid month strictly before / after each month, -1 if
    none."""
    m, r = valid.shape
    idx = np.where(valid, np.arange(m)[:, None], -1)
    prev = np.full((m, r), -1, dtype=np.int64)
    nxt = np.full((m, r), -1, dtype=np.int64)
    if m > 1:
        prev[1:] = np.maximum.accumulate(idx, axis=0)[:-1]
        big = np.where(valid, np.arange(m)[:, None], m)
        after = np.minimum.accumulate(big[::-1], axis=0)[::-1]
        nxt[:-1] = np.where(after[1:] < m, after[1:], -1)
    return prev, nxt


def _interpolate(values: np.ndarray, prev: np.ndarray, nxt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(M, R, F) leave-month-out linear interpolation from `prev`/`nxt`; and where it exists (M, R)."""
    m = values.shape[0]
    cols = np.arange(values.shape[1])[None, :]
    t = np.arange(m)[:, None].astype(np.float64)
    has_p, has_n = prev >= 0, nxt >= 0
    vp = values[np.clip(prev, 0, None), cols]
    vn = values[np.clip(nxt, 0, None), cols]
    span = np.where(has_p & has_n, nxt - prev, 1).astype(np.float64)
    w = np.where(has_p & has_n, (t - prev) / span, np.where(has_n, 1.0, 0.0))
    out = (1.0 - w)[..., None] * vp + w[..., None] * vn
    return out, has_p | has_n


def _fillable(
    valid: np.ndarray, prev: np.ndarray, nxt: np.ndarray, max_gap: int, max_edge_gap: int, cloudy_share: float
) -> np.ndarray:
    """(M, R): where a gap may be filled (see the module docstring): between two valid months at most
    `max_gap` apart, or at either end of the series, at most `max_edge_gap` long, in a cloudy month."""
    m = valid.shape[0]
    interior = (prev >= 0) & (nxt >= 0) & (nxt - prev <= max_gap + 1)
    lost = np.zeros(m)
    for k in range(m):
        others = [j for j in (k - 1, k + 1) if 0 <= j < m]
        base = np.logical_or.reduce([valid[j] for j in others])
        lost[k] = (base & ~valid[k]).sum() / max(int(base.sum()), 1)
    cloudy = lost >= cloudy_share
    edge_start = (prev < 0) & (nxt >= 0) & (nxt <= max_edge_gap)
    edge_end = (nxt < 0) & (prev >= 0) & (prev >= m - 1 - max_edge_gap)
    edge = (edge_start | edge_end) & cloudy[:, None]
    return interior | edge


def fill_tables(
    tables: np.ndarray,
    feature_names: tuple[str, ...] = FEATURE_COLUMNS,
    *,
    valid_share: float = 0.95,
    max_gap: int = 12,
    max_edge_gap: int = 2,
    cloudy_share: float = 0.15,
    min_valid_for_ratio: int = 20,
) -> tuple[np.ndarray, np.ndarray]:
    """Gap-filled copy of (M, R, F) `tables` and the (M, R) bool mask of the rows that were filled."""
    x = np.asarray(tables, dtype=np.float64)
    m, r, f = x.shape
    names = list(feature_names)
    if m < 2 or r == 0:
        return x.astype(tables.dtype, copy=True), np.zeros((m, r), dtype=bool)
    obs = x[:, :, names.index("observed_fraction")]
    reference = obs.max(axis=0)  # (R,)
    valid = (obs >= valid_share * reference[None, :]) & (reference[None, :] > 0)
    prev, nxt = _neighbours(valid)
    gap = ~valid & (reference[None, :] > 0)
    fill = gap & _fillable(valid, prev, nxt, max_gap, max_edge_gap, cloudy_share)

    continuous = [j for j, n in enumerate(names) if n not in _DERIVED]
    interp, available = _interpolate(x[:, :, continuous], prev, nxt)
    out = x.copy()
    # the month's common movement, from the factories observed in it
    ref_rows = valid & available
    for k in range(m):
        rows = ref_rows[k]
        ratio = np.ones(len(continuous))
        if rows.sum() >= min_valid_for_ratio:
            num = x[k][rows][:, continuous].sum(axis=0)
            den = interp[k][rows].sum(axis=0)
            ok = den > 0
            ratio[ok] = num[ok] / den[ok]
        hit = fill[k]
        if hit.any():
            block = out[k, hit]
            block[:, continuous] = interp[k, hit] * ratio[None, :]
            out[k, hit] = block

    _recompute_derived(out, fill, names, reference)
    return out.astype(tables.dtype), fill


def _recompute_derived(out: np.ndarray, fill: np.ndarray, names: list[str], reference: np.ndarray) -> None:
    def col(name):
        return names.index(name) if name in names else None

    rows = out[fill]  # (N, F) copy
    jf, jb = col("ntl_factory"), col("ntl_buffer_max")
    if jf is not None and col("factory_above_20") is not None:
        rows[:, col("factory_above_20")] = rows[:, jf] > 20
    if jf is not None and jb is not None and col("bright_neighbour") is not None:
        rows[:, col("bright_neighbour")] = rows[:, jb] > 2 * rows[:, jf]
    lu = [col(c) for c in LU_SUM_COLUMNS]
    if col("dominant_landuse") is not None and all(j is not None for j in lu):
        sums = rows[:, lu]
        rows[:, col("dominant_landuse")] = np.where(sums.sum(axis=1) > 0, sums.argmax(axis=1) + 1, 0)
    if col("observed_fraction") is not None:
        rows[:, col("observed_fraction")] = np.broadcast_to(reference[None, :], fill.shape)[fill]
    out[fill] = rows


#: Table columns whose city-wide sums carry a cloudy month's own movement into its statistics.
COUPLED_COLUMNS = ("lu_ntl_sum", "ntl_buffer_sum")


def fill_scalars(
    scalars: np.ndarray,
    tables: np.ndarray | None = None,
    feature_names: tuple[str, ...] = FEATURE_COLUMNS,
    *,
    valid_share: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Copy of (M, 8) `scalars` (SCALAR_COLUMNS order) with poorly observed zones filled; and the (M, 2)
    mask of (urban, rural) values that were replaced.

    A poorly observed zone's statistics are interpolated in time from the nearest well-observed months,
    then moved by the month's own change: `coupling @ (T[m] - interp(T)[m])`, where T are the city-wide
    sums of the (gap-filled) `tables`' COUPLED_COLUMNS and `coupling` the least-squares slope of each
    statistic's departure from its leave-this-month-out interpolation on T's departure, over the
    well-observed months. Without it, a cloudy month right after a shock got statistics halfway between
    the shock and the recovery: the factory light in the city's statistics is small but it is what moves
    with output, and the models read it (issue 11: SA-CNN -16 % in such a month, +0.3 % without the
    clouds). Without `tables`, interpolation only."""
    s = np.array(scalars, dtype=np.float64)
    m = s.shape[0]
    filled = np.zeros((m, 2), dtype=bool)
    if m < 2:
        return s, filled
    coupled = None
    if tables is not None and all(c in feature_names for c in COUPLED_COLUMNS):
        cols = [list(feature_names).index(c) for c in COUPLED_COLUMNS]
        coupled = np.asarray(tables, dtype=np.float64)[:, :, cols].sum(axis=1)  # (M, C)
    for z, zone in enumerate(("urban", "rural")):
        cols = [SCALAR_COLUMNS.index(f"{zone}_{k}") for k in ("ntl_sum", "ntl_mean", "ntl_std", "pixels")]
        pixels = s[:, cols[-1]]
        valid = pixels >= valid_share * pixels.max()
        if valid.all() or not valid.any():
            continue
        values = s[:, cols] if coupled is None else np.column_stack([s[:, cols], coupled])
        prev, nxt = _neighbours(np.repeat(valid[:, None], values.shape[1], axis=1))
        interp, _ = _interpolate(values[:, None, :], prev[:, :1], nxt[:, :1])
        interp = interp[:, 0, :]
        out = interp[:, : len(cols)]
        if coupled is not None:
            out = out + _coupling(values, interp, valid, prev[:, 0], nxt[:, 0], len(cols))
        s[np.ix_(~valid, cols)] = out[~valid]
        filled[~valid, z] = True
    return s, filled


def _coupling(
    values: np.ndarray, interp: np.ndarray, valid: np.ndarray, prev: np.ndarray, nxt: np.ndarray, n_stats: int
) -> np.ndarray:
    """(M, n_stats) shift of the statistics explained by the coupled sums' departure from interpolation,
    fitted on the valid months that have valid neighbours on both sides (0 below 6 such months)."""
    departure = values - interp
    fit = valid & (prev >= 0) & (nxt >= 0)
    shift = np.zeros((values.shape[0], n_stats))
    if fit.sum() < 6:
        return shift
    x, y = departure[fit, n_stats:], departure[fit, :n_stats]
    scale = np.sqrt(np.mean(x**2, axis=0))
    scale = np.where(scale > 0, scale, 1.0)
    coef, *_ = np.linalg.lstsq(x / scale, y, rcond=None)
    return (departure[:, n_stats:] / scale) @ coef
