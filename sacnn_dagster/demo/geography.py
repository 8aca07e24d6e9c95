"""The demo city's geography: boundary (with an island), districts, urban density, industrial parks, the
airport, and the land-use parcels derived from them. All coordinates WGS84 degrees."""

from __future__ import annotations

from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from sacnn_dagster.demo.spec import DemoSpec, stream

#: Land-use parcels are blocks of this many degrees (about 1 km), inset to leave streets between them.
CELL_DEG = 0.01
_STREET_INSET = 0.0003
#: cos(31 deg): makes distances in degrees roughly isotropic at Shanghai's latitude.
LNG_SCALE = 0.857

MAINLAND_DISTRICT_NAMES = (
    "东滨新区",
    "西苑区",
    "南湖区",
    "北塘区",
    "中环区",
    "青浦湾区",
    "金桥区",
    "松林区",
    "嘉合区",
    "宝江区",
)
ISLAND_DISTRICT_NAME = "崇沙区"

#: EULUC Level-2 classes of urban parcels by density tier: (codes, weights). Half of the suburban
#: cells are covered, the countryside not at all.
_CORE_CLASSES = ((101, 201, 202, 501, 502, 503, 504, 505), (0.30, 0.25, 0.25, 0.06, 0.05, 0.04, 0.03, 0.02))
_URBAN_CLASSES = ((101, 201, 202, 501, 502, 503, 504, 505), (0.55, 0.05, 0.12, 0.04, 0.08, 0.04, 0.04, 0.08))
_SUBURB_CLASSES = ((101, 202, 502, 505), (0.75, 0.10, 0.08, 0.07))


@dataclass
class Geography:
    boundary: Polygon | MultiPolygon
    mainland: Polygon
    districts: gpd.GeoDataFrame  # name, geometry (EPSG:4326)
    centre: tuple[float, float]
    towns: np.ndarray  # (k, 2) satellite town centres
    core_sigma: float  # degrees; scale of the central city
    cell_origin: tuple[float, float]  # west, south edge of parcel cell (0, 0)
    park_cells: np.ndarray  # (c, 2) unique (col, row) parcel cells that are industrial park land
    airport: np.ndarray  # (4,) cell index range (col0, row0, col1, row1), half-open
    stations: np.ndarray  # (s, 2) parcel cells of railway stations

    def urban_density(self, lng, lat) -> np.ndarray:
        """0..1: 1 at the city centre, up to 0.8 at satellite town centres, ~0 in the countryside."""
        lng, lat = np.asarray(lng, dtype=np.float64), np.asarray(lat, dtype=np.float64)
        dx, dy = (lng - self.centre[0]) * LNG_SCALE, lat - self.centre[1]
        density = np.exp(-(dx**2 + dy**2) / self.core_sigma**2)
        town_sigma = 0.3 * self.core_sigma
        for tx, ty in self.towns:
            d2 = ((lng - tx) * LNG_SCALE) ** 2 + (lat - ty) ** 2
            density = np.maximum(density, 0.8 * np.exp(-d2 / town_sigma**2))
        return density

    def cell_bounds(self, col, row) -> tuple[np.ndarray, ...]:
        w0, s0 = self.cell_origin
        col, row = np.asarray(col), np.asarray(row)
        return w0 + col * CELL_DEG, s0 + row * CELL_DEG, w0 + (col + 1) * CELL_DEG, s0 + (row + 1) * CELL_DEG

    def district_of(self, lng, lat) -> np.ndarray:
        """Index into `districts` of the district containing each point (nearest one for the rare point on
        a shared edge or just outside)."""
        lng, lat = np.asarray(lng, dtype=np.float64), np.asarray(lat, dtype=np.float64)
        index = np.full(lng.shape, -1, dtype=np.int64)
        geoms = self.districts.geometry.to_numpy()
        for k, geom in enumerate(geoms):
            index[(index < 0) & shapely.contains_xy(geom, lng, lat)] = k
        missing = np.flatnonzero(index < 0)
        if missing.size:
            points = shapely.points(lng.ravel()[missing], lat.ravel()[missing])
            distances = np.stack([shapely.distance(g, points) for g in geoms])
            index.ravel()[missing] = distances.argmin(axis=0)
        return index


def _star_polygon(rng: np.random.Generator, bounds, n_vertices: int = 240, stretch: float = 1.0) -> Polygon:
    """A smooth random star-shaped polygon whose bounds are exactly `bounds` (vertices rounded to 1e-6 so
    the written GeoJSON and the polygon used for the truth are the same)."""
    theta = np.linspace(0.0, 2.0 * np.pi, n_vertices, endpoint=False)
    radius = np.ones_like(theta)
    for k in range(2, 8):
        radius += rng.uniform(0.02, 0.10) / (k / 2.0) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    x, y = stretch * radius * np.cos(theta), radius * np.sin(theta)
    w, s, e, n = bounds
    x = w + (x - x.min()) / (x.max() - x.min()) * (e - w)
    y = s + (y - y.min()) / (y.max() - y.min()) * (n - s)
    return Polygon(np.column_stack([np.round(x, 6), np.round(y, 6)]))


def _random_points_in(rng, geom, bounds, n: int) -> np.ndarray:
    """n points uniform in `geom` (rejection sampling from `bounds`)."""
    w, s, e, n_ = bounds
    out = np.empty((0, 2))
    while len(out) < n:
        xy = np.column_stack([rng.uniform(w, e, 4 * n + 64), rng.uniform(s, n_, 4 * n + 64)])
        out = np.vstack([out, xy[shapely.contains_xy(geom, xy[:, 0], xy[:, 1])]])
    return out[:n]


def _spaced(candidates: np.ndarray, n: int, min_dist: float) -> np.ndarray:
    """The first n candidates (in their random order) that keep `min_dist` from each other, topped up with
    the next ones when too few qualify: spread out, but not pushed to the edges as farthest-point is."""
    chosen: list[int] = []
    for k, point in enumerate(candidates):
        if len(chosen) == n:
            break
        if not chosen or np.hypot(*(candidates[chosen] - point).T).min() >= min_dist:
            chosen.append(k)
    rest = [k for k in range(len(candidates)) if k not in set(chosen)]
    return candidates[chosen + rest[: n - len(chosen)]]


def _boundary(spec: DemoSpec, rng) -> tuple[Polygon, Polygon | None]:
    w, s, e, n = spec.bbox
    width, height = e - w, n - s
    if not spec.island:
        return _star_polygon(rng, spec.bbox), None
    # The mainland leaves the top band free for an elongated island reaching the bbox's north-east edges.
    mainland = _star_polygon(rng, (w, s, e, n - 0.2 * height))
    island = _star_polygon(rng, (round(w + 0.45 * width, 6), round(n - 0.15 * height, 6), e, n), stretch=3.0)
    return mainland, island


def _districts(spec: DemoSpec, rng, mainland: Polygon, island: Polygon | None) -> gpd.GeoDataFrame:
    """Voronoi cells of well-spread seeds clipped to the mainland; the island is a district of its own."""
    n_mainland = spec.n_districts
    candidates = _random_points_in(rng, mainland, mainland.bounds, 50 * n_mainland)
    seeds = _spaced(candidates, n_mainland, 0.8 * np.sqrt(mainland.area / n_mainland))
    cells = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=box(*spec.bbox).buffer(1.0), ordered=True)
    geoms = [shapely.intersection(cell, mainland) for cell in shapely.get_parts(cells)]
    names = list(MAINLAND_DISTRICT_NAMES[:n_mainland])
    if len(names) < n_mainland:
        names += [f"第{k + 1}区" for k in range(len(names), n_mainland)]
    if island is not None:
        geoms.append(island)
        names.append(ISLAND_DISTRICT_NAME)
    return gpd.GeoDataFrame({"name": names}, geometry=geoms, crs="EPSG:4326")


def build_geography(spec: DemoSpec) -> Geography:
    rng = stream(spec.seed, "geography")
    mainland, island = _boundary(spec, rng)
    boundary = mainland if island is None else MultiPolygon([mainland, island])
    districts = _districts(spec, rng, mainland, island)

    w, s, e, n = spec.bbox
    width, height = e - w, n - s
    centre = np.array([w + 0.6 * width, s + 0.5 * height])
    if not shapely.contains_xy(mainland, *centre):
        centre = np.array(shapely.get_coordinates(mainland.point_on_surface())[0])
    core_sigma = min(0.12, 0.35 * min(width, height))
    n_towns = max(2, spec.n_districts // 2)
    far = _random_points_in(rng, mainland, mainland.bounds, 400)
    far = far[np.hypot((far[:, 0] - centre[0]) * LNG_SCALE, far[:, 1] - centre[1]) > 1.5 * core_sigma]
    towns = far[rng.choice(len(far), size=min(n_towns, len(far)), replace=False)] if len(far) else np.empty((0, 2))
    geo = Geography(
        boundary=boundary,
        mainland=mainland,
        districts=districts,
        centre=(float(centre[0]), float(centre[1])),
        towns=towns,
        core_sigma=core_sigma,
        cell_origin=(np.floor(w / CELL_DEG) * CELL_DEG, np.floor(s / CELL_DEG) * CELL_DEG),
        park_cells=np.empty((0, 2), dtype=np.int64),
        airport=np.zeros(4, dtype=np.int64),
        stations=np.empty((0, 2), dtype=np.int64),
    )
    return _place_sites(spec, rng, geo)


def _cell_of(geo: Geography, xy: np.ndarray) -> np.ndarray:
    w0, s0 = geo.cell_origin
    return np.floor((xy - [w0, s0]) / CELL_DEG).astype(np.int64)


def _block_cells(block: np.ndarray) -> np.ndarray:
    cols, rows = np.meshgrid(np.arange(block[0], block[2]), np.arange(block[1], block[3]))
    return np.column_stack([cols.ravel(), rows.ravel()])


def _cells_inside(geo: Geography, cells: np.ndarray) -> np.ndarray:
    """Keep the cells whose centre lies inside the boundary."""
    w, s, e, n = geo.cell_bounds(cells[:, 0], cells[:, 1])
    return cells[shapely.contains_xy(geo.boundary, (w + e) / 2, (s + n) / 2)]


def _place_sites(spec: DemoSpec, rng, geo: Geography) -> Geography:
    """Add industrial parks in the suburbs and countryside (not the dense core), the airport, the stations."""
    candidates = _random_points_in(rng, geo.boundary, spec.bbox, 40 * spec.n_parks + 200)
    density = geo.urban_density(candidates[:, 0], candidates[:, 1])
    suburban = candidates[(density > 0.01) & (density < 0.45)]
    rural = candidates[density <= 0.01]
    n_suburban = min(len(suburban), int(round(0.6 * spec.n_parks)))
    spacing = 0.6 * np.sqrt(geo.boundary.area / spec.n_parks)
    sites = np.vstack([_spaced(suburban, n_suburban, spacing), _spaced(rural, spec.n_parks - n_suburban, spacing)])
    corners = _cell_of(geo, sites)
    sizes = np.column_stack([rng.integers(2, 7, len(sites)), rng.integers(2, 6, len(sites))])
    parks = np.column_stack([corners, corners + sizes])
    cells = _cells_inside(geo, np.unique(np.vstack([_block_cells(p) for p in parks]), axis=0))

    # The airport: a 5 x 3 cell block in the outer suburbs, away from every park.
    taken = {tuple(c) for c in cells}
    for site in candidates[(density > 0.02) & (density < 0.3)]:
        corner = _cell_of(geo, site[None, :])[0]
        block = np.array([corner[0], corner[1], corner[0] + 5, corner[1] + 3])
        block_cells = _block_cells(block)
        if len(_cells_inside(geo, block_cells)) == len(block_cells) and not taken & {tuple(c) for c in block_cells}:
            airport = block
            taken |= {tuple(c) for c in block_cells}
            break
    else:
        raise ValueError("no room for an airport in the demo region")

    # Stations: one near the centre, one in each town, on cells no other site uses.
    station_sites = np.vstack([np.array(geo.centre)[None, :] + [0.012, -0.008], geo.towns])
    stations = [c for c in _cell_of(geo, station_sites) if tuple(c) not in taken]
    stations = _cells_inside(geo, np.array(stations, dtype=np.int64).reshape(-1, 2))
    return replace(geo, park_cells=cells, airport=airport, stations=stations)


def build_landuse(spec: DemoSpec, geo: Geography, scattered_factory_lnglat: np.ndarray) -> gpd.GeoDataFrame:
    """EULUC-like parcels: industrial parks (301), the airport (403), stations (402), urban blocks by density
    (101/201/202/501-505), and a 301 parcel under some of the factories outside the parks. Countryside
    cells are mostly left uncovered, as in EULUC."""
    rng = stream(spec.seed, "landuse")
    w, s, e, n = spec.bbox
    cols, rows = np.meshgrid(
        np.arange(int(np.floor((e - geo.cell_origin[0]) / CELL_DEG)) + 1),
        np.arange(int(np.floor((n - geo.cell_origin[1]) / CELL_DEG)) + 1),
    )
    cells = _cells_inside(geo, np.column_stack([cols.ravel(), rows.ravel()]))
    cw, cs, ce, cn = geo.cell_bounds(cells[:, 0], cells[:, 1])
    density = geo.urban_density((cw + ce) / 2, (cs + cn) / 2)

    classes = np.zeros(len(cells), dtype=np.int64)
    core, urban = density > 0.6, (density > 0.25) & (density <= 0.6)
    suburb = (density > 0.06) & (density <= 0.25) & (rng.random(len(cells)) < 0.5)
    for tier, (codes, weights) in ((core, _CORE_CLASSES), (urban, _URBAN_CLASSES), (suburb, _SUBURB_CLASSES)):
        classes[tier] = rng.choice(codes, size=int(tier.sum()), p=weights)

    key = cells[:, 0] * 1_000_003 + cells[:, 1]

    def mark(selected: np.ndarray, code: int) -> None:
        if len(selected):
            classes[np.isin(key, selected[:, 0] * 1_000_003 + selected[:, 1])] = code

    scattered_cells = _cell_of(geo, scattered_factory_lnglat)
    mark(scattered_cells[rng.random(len(scattered_cells)) < 0.4], 301)
    mark(geo.park_cells, 301)
    mark(_block_cells(geo.airport), 403)
    mark(geo.stations, 402)

    keep = classes > 0
    inset = _STREET_INSET
    geoms = shapely.box(cw[keep] + inset, cs[keep] + inset, ce[keep] - inset, cn[keep] - inset)
    return gpd.GeoDataFrame({"class": classes[keep].astype(np.int32)}, geometry=geoms, crs="EPSG:4326")
