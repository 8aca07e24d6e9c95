"""The thresholds of a region's asset checks (region.yaml `checks:`): the defaults, and why.

The thresholds were chosen on the small and full demo regions, an untuned demo region and the real Mumbai
VIIRS cube (tests/data): every month of those passes with a margin, and each threshold says below what
kind of fault it fires. The verdicts that use them are in quality/.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from sacnn_dagster.config.schema import SettingsModel, allowed

# Thresholds are numbers written as numbers: strict, so that a quoted "0.5" or a `yes` is an error rather than
# a silent conversion; finite, since an infinite threshold switches a check off without saying so.
_Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
#: A share of the area or a relative change (0.25 = 25 %); changes may exceed 1, hence the generous bound.
_Share = Annotated[_Number, Field(ge=0, le=1e6, json_schema_extra=allowed("a non-negative share (0.25 = 25 %)"))]


class Limits(SettingsModel):
    """The thresholds a region may set for its checks (region.yaml `checks:`); the defaults, and why."""

    max_share_without_radiance: _Share = 0.05
    """Largest share of the area without any radiance value. A missing tile or a misplaced window leaves a
    large block empty; scattered no-retrieval pixels (Black Marble's fill flag) stay below it. The demo
    and Mumbai have none."""

    min_share_observed: _Share = 0.05
    """A month whose cf_cvg says that less than this share of the area was seen cloud-free gives the model
    almost nothing of its own: its features are filled in from neighbouring months. Monsoon months are
    cloudy but stay above it (Mumbai's cloudiest month, 2022-07, 5.7 %; 2019-09, 13 %); an all-zero
    cf_cvg (a broken coverage file, or a month entirely under cloud) falls below."""

    max_factory_count_change: _Share = 0.25
    """Largest relative change of the factory count from one month to the next (that is, between POI
    snapshots). Consecutive demo snapshots differ by at most 10 %, a year of real growth by far less
    than a quarter; a change beyond it is a different export filter, a truncated file or a lost encoding."""

    estimate_band: Annotated[
        tuple[Annotated[_Number, Field(gt=0, lt=1)], Annotated[_Number, Field(gt=1)]],
        Field(json_schema_extra=allowed("[low, high] with 0 < low < 1 < high")),
    ] = (0.5, 2.0)
    """An estimate is plausible between these multiples of the median of the previous months' estimates.
    The deepest true dips of the demo regions (Chinese New Year plus the 2020 shock) reach 0.67 of the
    median of the previous 12 months, the highest peaks 1.14; a halving or a doubling is a broken input."""

    r2_floor: Annotated[_Number, Field(le=1, json_schema_extra=allowed("a number up to 1"))] = 0.7
    """Held-out R² the SA-CNN must reach after retraining. The working model reaches 0.86-0.96 on the demo
    regions' splits, while the total-light baseline reaches at most 0.61: a model below 0.7 is no better
    than counting light."""
