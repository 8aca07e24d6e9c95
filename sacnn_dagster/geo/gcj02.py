"""GCJ-02 (the obfuscated Chinese datum used by Amap) <-> WGS84, vectorized over numpy arrays.

The forward transform is the public closed-form algorithm (Krasovsky 1940 ellipsoid constants). The inverse
has no closed form; fixed-point iteration on the forward transform converges to well under a millimetre in a
few steps. Points outside China's rough bounding box are left unchanged, as GCJ-02 does.
"""

from __future__ import annotations

import numpy as np

_A = 6378245.0
_EE = 0.00669342162296594323


def in_china(lng: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The bounding box inside which GCJ-02 applies its offset."""
    lng = np.asarray(lng, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    return (lng >= 72.004) & (lng <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _offset(lng: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = lng - 105.0
    y = lat - 35.0
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x)) + common
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x)) + common
    dlng += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlng += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlng = (dlng * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    inside = in_china(lng, lat)
    return np.where(inside, dlng, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lng, lat) -> tuple[np.ndarray, np.ndarray]:
    """Forward transform (exact by definition of GCJ-02)."""
    lng = np.asarray(lng, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    dlng, dlat = _offset(lng, lat)
    return lng + dlng, lat + dlat


def gcj02_to_wgs84(lng, lat, iterations: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Inverse transform by fixed-point iteration: find w with forward(w) == g."""
    g_lng = np.asarray(lng, dtype=np.float64)
    g_lat = np.asarray(lat, dtype=np.float64)
    w_lng, w_lat = g_lng.copy(), g_lat.copy()
    for _ in range(iterations):
        f_lng, f_lat = wgs84_to_gcj02(w_lng, w_lat)
        w_lng = w_lng - (f_lng - g_lng)
        w_lat = w_lat - (f_lat - g_lat)
    return w_lng, w_lat
