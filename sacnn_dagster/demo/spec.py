"""What a demo region is: its spec, its calendar, and which months carry which real-data quirk.

Everything random in the generator draws from `stream(seed, name)`: one independent generator per concept,
so changing how one part is simulated never shifts the random numbers of another part.
"""

from __future__ import annotations

import calendar
import re
import zlib
from dataclasses import dataclass
from datetime import date

import numpy as np

from sacnn_dagster.config.months import month_range
from sacnn_dagster.geo.grid import EOG_ORIGIN

#: Chinese New Year (first day of the lunar year) for the years a demo may cover.
CNY_DATES = {
    2012: date(2012, 1, 23),
    2013: date(2013, 2, 10),
    2014: date(2014, 1, 31),
    2015: date(2015, 2, 19),
    2016: date(2016, 2, 8),
    2017: date(2017, 1, 28),
    2018: date(2018, 2, 16),
    2019: date(2019, 2, 5),
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
}
#: The 2020 COVID shock on the citywide output index: strongest in February, recovered by May.
DEFAULT_SHOCKS = (("2020-01", 0.96), ("2020-02", 0.75), ("2020-03", 0.88), ("2020-04", 0.95), ("2020-05", 0.99))
LIGHT_RESPONSES = ("power", "linear", "saturating")
#: VIIRS vcmcfg monthly composites begin in April 2012.
FIRST_MONTH = "2012-04"
LAST_MONTH = "2025-12"


def stream(seed: int, name: str) -> np.random.Generator:
    """The random generator of one concept of the simulation (stable across Python runs)."""
    return np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])


def year_month(month: str) -> tuple[int, int]:
    y, m = month.split("-")
    return int(y), int(m)


def month_days(month: str) -> int:
    y, m = year_month(month)
    return calendar.monthrange(y, m)[1]


@dataclass(frozen=True)
class DemoSpec:
    """Parameters of a synthetic region. The defaults are the full demo: a Shanghai-sized city, 2014-2022."""

    name: str = "demo-city"
    seed: int = 2025
    start: str = "2014-01"
    end: str = "2022-12"
    #: Area of interest (west, south, east, north), WGS84 degrees; the boundary polygon's bounds equal it.
    bbox: tuple[float, float, float, float] = (120.86, 30.68, 122.20, 31.88)
    #: Factories inside the boundary (the ones whose output is the city's GVIO).
    n_factories: int = 3000
    #: Night-light rasters are cut from the bbox grown by this much on every side.
    margin_deg: float = 0.08
    #: Districts on the mainland, plus one for the island when there is one.
    n_districts: int = 8
    n_parks: int = 36
    #: Add an island (like Chongming) north-east of the mainland: the boundary becomes a MultiPolygon.
    island: bool = True
    #: Outer (west, north) corner of the pixel lattice the rasters sit on: EOG's (half a pixel off the
    #: round degree) by default; core.grid.BLACK_MARBLE_ORIGIN for a region that is also served as VNP46A3 tiles.
    lattice_origin: tuple[float, float] = EOG_ORIGIN

    # Knobs of the accuracy bench (benchmarks/accuracy.py). Every default reproduces the demo as it was,
    # byte for byte: a knob only draws random numbers of its own stream when it is moved off its default.
    #: Mean yearly log-growth of a factory's output (each factory draws its own around it, sd 0.04).
    growth: float = 0.02
    #: From this month on, the citywide output index changes by `late_growth` a year instead (decline when
    #: negative), e.g. an industrial city losing its manufacturing.
    growth_break: str | None = None
    late_growth: float = 0.0
    #: Citywide output index of lockdown-like months (1 = untouched); each factory feels it with its own
    #: sensitivity (0.5-1.5x). The default is the 2020 COVID shock.
    shocks: tuple[tuple[str, float], ...] = DEFAULT_SHOCKS
    #: Share of output lost in the days around Chinese New Year (0 for a city that does not stop then).
    new_year_loss: float = 0.3
    #: Scales the chance of a cloudy July (0.5) and winter month (0.15); every June is cloudy regardless.
    cloudiness: float = 1.0
    #: Months made cloudy on top of the plum-rain plan (a third to two thirds of the area unseen).
    extra_cloudy: tuple[str, ...] = ()
    #: How a factory's light rises with its output: "power" (output^0.6), "linear" or "saturating"
    #: (output^0.6 flattening off above the light of a factory about three times the median size).
    light_response: str = "power"
    #: Share of the city's factories with no light of their own (they still produce and are POIs).
    dark_share: float = 0.0
    #: Share of the factories of each POI snapshot after the first that the export gets wrong: operating
    #: factories left off, and as many closed or not yet opened ones still (or already) listed.
    poi_churn: float = 0.0
    #: The bureau releases January and February as one value (as China's NBS does).
    combined_jan_feb: bool = True
    #: The last calendar year has no published statistics at all (the months a user wants estimated).
    unpublished_last_year: bool = False

    def __post_init__(self):
        for key in ("start", "end"):
            if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", getattr(self, key)):
                raise ValueError(f"{key} {getattr(self, key)!r} is not YYYY-MM")
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        months = month_range(self.start, self.end)
        if self.start < FIRST_MONTH or self.end > LAST_MONTH:
            raise ValueError(f"demo months must lie within {FIRST_MONTH}..{LAST_MONTH}")
        if len(months) < 8:
            raise ValueError("a demo needs at least 8 months to hold every composite encoding quirk")
        w, s, e, n = self.bbox
        if not (e > w and n > s):
            raise ValueError(f"bbox {self.bbox} is not (west, south, east, north)")
        if self.n_factories < 20 or self.n_districts < 2 or self.n_parks < 1:
            raise ValueError("a demo needs >= 20 factories, >= 2 districts and >= 1 industrial park")
        if self.light_response not in LIGHT_RESPONSES:
            raise ValueError(f"light_response {self.light_response!r} is not one of {LIGHT_RESPONSES}")
        if not (0.0 <= self.dark_share < 1.0 and 0.0 <= self.poi_churn < 1.0 and 0.0 <= self.new_year_loss < 1.0):
            raise ValueError("dark_share, poi_churn and new_year_loss must lie in [0, 1)")
        if self.cloudiness < 0.0:
            raise ValueError("cloudiness must be >= 0")
        if self.growth_break is not None and self.growth_break not in months:
            raise ValueError(f"growth_break {self.growth_break} is not a month of the demo")

    @classmethod
    def small(cls) -> DemoSpec:
        """A fast spec for tests: 0.30 x 0.25 degrees of the city's west, 150 factories, 2019-07..2021-12
        (30 months: two Chinese New Years, two combined Jan-Feb releases, the 2020 shock, and enough labels
        for a 12-month time-ordered hold-out)."""
        return cls(
            name="demo-city-small",
            start="2019-07",
            end="2021-12",
            bbox=(121.15, 30.975, 121.45, 31.225),
            n_factories=150,
            n_districts=3,
            n_parks=4,
            island=False,
        )

    @property
    def months(self) -> list[str]:
        return month_range(self.start, self.end)

    @property
    def raster_bounds(self) -> tuple[float, float, float, float]:
        """The extent night-light rasters are cut from (larger than the area of interest)."""
        w, s, e, n = self.bbox
        m = self.margin_deg
        return (w - m, s - m, e + m, n + m)


@dataclass(frozen=True)
class QuirkPlan:
    """Which months carry which real-data difficulty. Deterministic from the spec (see `plan_quirks`)."""

    #: Months published only as EOG tile archives (.tgz).
    tgz_months: tuple[str, ...]
    #: Months published only in the untiled global layout (gzip'd GeoTIFFs).
    gz_months: tuple[str, ...]
    #: Month present under two processing stamps; the newer one is right, the older is 0.9x.
    reprocessed_month: str
    #: Month published only as NOAA-20 (SVDNB_j01_...) under NOAA-20/vcmcfg.
    noaa20_month: str
    #: Months with a large connected patch of cf_cvg == 0 (radiance 0 there).
    cloudy_months: tuple[str, ...]
    #: POI snapshot months; the first is the spec's start month.
    snapshot_months: tuple[str, ...]
    #: The snapshot written in GBK (all others UTF-8).
    gbk_snapshot: str
    #: Months (never January or February) with no row in statistics/gvio_monthly.csv.
    missing_statistics: tuple[str, ...]


def _take(months: list[str], taken: set[str], position: int) -> str:
    """The first month at or after `position` that no other quirk uses (wrapping around)."""
    for k in range(len(months)):
        month = months[(position + k) % len(months)]
        if month not in taken:
            taken.add(month)
            return month
    raise ValueError("not enough months for every quirk")


def plan_quirks(spec: DemoSpec) -> QuirkPlan:
    """Place every quirk relative to the spec's month range, so small specs exercise all of them too.

    Long ranges (3 years or more) get a whole calendar year of tile archives (the second year), two global
    months and three missing statistics; short ranges get two archive months, one global month and one
    missing statistic. 2022-08 is the NOAA-20 month whenever it is in range, as at EOG."""
    months = spec.months
    n = len(months)
    long_range = n >= 36
    taken: set[str] = set()

    noaa20 = "2022-08" if "2022-08" in months else months[int(0.75 * n)]
    taken.add(noaa20)
    if long_range:
        year = year_month(months[0])[0] + 1
        tgz = tuple(_take(months, taken, months.index(f"{year}-{m:02d}")) for m in range(1, 13))
    else:
        tgz = tuple(_take(months, taken, n // 3 + k) for k in range(2))
    gz_positions = (0.45, 0.65) if long_range else (0.45,)
    gz = tuple(_take(months, taken, int(p * n)) for p in gz_positions)
    reprocessed = _take(months, taken, int(0.55 * n))

    rng = stream(spec.seed, "quirks")
    # Plum-rain season: every June is cloudy, July half the time, now and then a winter month too.
    cloudy = [
        m
        for m in months
        if year_month(m)[1] == 6
        or (year_month(m)[1] == 7 and rng.random() < 0.5 * spec.cloudiness)
        or (year_month(m)[1] in (1, 12) and rng.random() < 0.15 * spec.cloudiness)
    ]
    if not cloudy:
        cloudy = [months[int(0.4 * n)]]

    step = 24 if n >= 48 else max(6, n // 3)
    snapshots = tuple(months[::step])

    candidates = [m for m in months if year_month(m)[1] > 2]
    n_missing = 3 if long_range else 1
    missing = tuple(sorted(rng.choice(candidates, size=n_missing, replace=False).tolist()))

    # Extra cloudy months are added after every draw, so that they never shift the random numbers above.
    cloudy = sorted(set(cloudy) | {m for m in spec.extra_cloudy if m in months})
    return QuirkPlan(
        tgz_months=tgz,
        gz_months=gz,
        reprocessed_month=reprocessed,
        noaa20_month=noaa20,
        cloudy_months=tuple(cloudy),
        snapshot_months=snapshots,
        gbk_snapshot=snapshots[1] if len(snapshots) > 1 else snapshots[0],
        missing_statistics=missing,
    )
