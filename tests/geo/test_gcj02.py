import numpy as np

from sacnn_dagster.features.patches import METRES_PER_DEGREE
from sacnn_dagster.geo.gcj02 import gcj02_to_wgs84, wgs84_to_gcj02

# Published reference pairs (googollee/eviltransform test suite): wgs lat, wgs lng, gcj lat, gcj lng
PAIRS = np.array(
    [
        (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
        (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
        (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
    ]
)


def metres(lng1, lat1, lng2, lat2):
    return np.hypot((lng1 - lng2) * np.cos(np.radians(lat1)), lat1 - lat2) * METRES_PER_DEGREE


def test_forward_matches_published_pairs():
    lng, lat = wgs84_to_gcj02(PAIRS[:, 1], PAIRS[:, 0])
    assert metres(lng, lat, PAIRS[:, 3], PAIRS[:, 2]).max() < 0.01


def test_inverse_within_a_metre_of_published_pairs():
    lng, lat = gcj02_to_wgs84(PAIRS[:, 3], PAIRS[:, 2])
    assert metres(lng, lat, PAIRS[:, 1], PAIRS[:, 0]).max() < 1.0


def test_offset_in_shanghai_is_about_one_viirs_pixel():
    lng, lat = wgs84_to_gcj02(121.47, 31.23)
    assert 300 < metres(lng, lat, 121.47, 31.23) < 700


def test_round_trip_vectorized_over_china():
    rng = np.random.default_rng(1)
    lng, lat = rng.uniform(75, 135, 10000), rng.uniform(18, 53, 10000)
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lng, lat))
    assert metres(back[0], back[1], lng, lat).max() < 0.01


def test_outside_china_unchanged():
    lng, lat = wgs84_to_gcj02(np.array([2.35, -74.0]), np.array([48.85, 40.7]))
    assert lng.tolist() == [2.35, -74.0] and lat.tolist() == [48.85, 40.7]
