"""The thresholds of a region's asset checks (region.yaml `checks:`): the defaults, and why.

The thresholds were chosen on the small and full demo regions, an untuned demo region and the real Mumbai
VIIRS cube (tests/data): every month of those passes with a margin, and each threshold says below what
kind of fault it fires. The verdicts that use them are in quality/verdicts.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """The thresholds a region may set for its checks (region.yaml `checks:`); the defaults, and why."""

    #: Largest share of the area without any radiance value. A missing tile or a misplaced window leaves a
    #: large block empty; scattered no-retrieval pixels (Black Marble's fill flag) stay below it. The demo
    #: and Mumbai have none.
    max_share_without_radiance: float = 0.05
    #: A month whose cf_cvg says that less than this share of the area was seen cloud-free gives the model
    #: almost nothing of its own: its features are filled in from neighbouring months. Monsoon months are
    #: cloudy but stay above it (Mumbai's cloudiest month, 2022-07, 5.7 %; 2019-09, 13 %); an all-zero
    #: cf_cvg (a broken coverage file, or a month entirely under cloud) falls below.
    min_share_observed: float = 0.05
    #: Largest relative change of the factory count from one month to the next (that is, between POI
    #: snapshots). Consecutive demo snapshots differ by at most 10 %, a year of real growth by far less
    #: than a quarter; a change beyond it is a different export filter, a truncated file or a lost encoding.
    max_factory_count_change: float = 0.25
    #: An estimate is plausible between these multiples of the median of the previous months' estimates.
    #: The deepest true dips of the demo regions (Chinese New Year plus the 2020 shock) reach 0.67 of the
    #: median of the previous 12 months, the highest peaks 1.14; a halving or a doubling is a broken input.
    estimate_band: tuple[float, float] = (0.5, 2.0)
    #: Held-out R² the SA-CNN must reach after retraining. The working model reaches 0.86-0.96 on the demo
    #: regions' splits, while the total-light baseline reaches at most 0.61: a model below 0.7 is no better
    #: than counting light.
    r2_floor: float = 0.7

    @classmethod
    def from_mapping(cls, data: object, where: str) -> Limits:
        """Limits from region.yaml's `checks:` mapping (missing keys keep their defaults); a clear error
        naming `where` and the key for anything else."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise ValueError(f"{where}: checks must be a mapping of {', '.join(cls.__dataclass_fields__)}")
        unknown = sorted(set(data) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValueError(
                f"{where}: checks: unknown key(s) {', '.join(map(str, unknown))}; "
                f"known: {', '.join(cls.__dataclass_fields__)}"
            )
        values = {}
        for key, value in data.items():
            if key == "estimate_band":
                band = value if isinstance(value, list | tuple) else ()
                if len(band) != 2 or not all(_is_number(x) for x in band) or not 0 < band[0] < 1 < band[1]:
                    raise ValueError(
                        f"{where}: checks: estimate_band must be [low, high] with 0 < low < 1 < high, not {value!r}"
                    )
                values[key] = (float(band[0]), float(band[1]))
            elif key == "r2_floor":
                if not _is_number(value) or not value <= 1:
                    raise ValueError(f"{where}: checks: r2_floor must be a number up to 1, not {value!r}")
                values[key] = float(value)
            else:
                if not _is_number(value) or not 0 <= value <= 1e6:
                    raise ValueError(
                        f"{where}: checks: {key} must be a non-negative share (0.25 = 25 %), not {value!r}"
                    )
                values[key] = float(value)
        return cls(**values)


def _is_number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)
