"""The pictures shown in the Dagster UI: maps with their colour scale, the estimates chart."""

import base64
import io

import numpy as np
import pandas as pd
from matplotlib import colormaps
from PIL import Image

from sacnn_dagster.reports.previews import (
    HEIGHT,
    MAP_BOX,
    WIDTH,
    Layer,
    block_reduce,
    estimates_chart_png,
    map_png,
    markdown_image,
    tick_labels,
    ticks,
)

BOUNDS = (121.15, 30.975, 121.45, 31.225)  # the small demo's area


def decode(png: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return np.asarray(image.convert("RGB")).astype(int)


def map_area(rgb: np.ndarray) -> np.ndarray:
    left, top, width, height = MAP_BOX
    return rgb[top : top + height, left : left + width]


def has_colour(rgb: np.ndarray, colour, tolerance: int = 0) -> bool:
    """Whether any pixel is within `tolerance` of `colour` in every channel."""
    return bool((np.abs(rgb - np.asarray(colour[:3])).max(axis=-1) <= tolerance).any())


def top_colour(cmap: str):
    return colormaps[cmap](1.0, bytes=True)


def test_map_shows_the_maximum_in_the_top_colour_flagged_pixels_in_theirs_and_is_small():
    values = np.full((61, 73), np.nan)  # the small demo's grid: NaN outside the area
    values[5:55, 5:68] = 0.0
    values[20:24, 30:34] = 0.5
    values[40, 10] = 3.0  # the most productive pixel
    png = map_png(
        values,
        BOUNDS,
        "GVIO 2020-03",
        "GVIO, 10⁸ yuan per pixel",
        "YlOrRd",
        (Layer(values == 0, "#00ff00", "no industrial output"),),
    )
    assert len(png) < 20_000  # stored in every month's event: must stay small
    rgb = decode(png)
    assert rgb.shape == (HEIGHT, WIDTH, 3)
    area = map_area(rgb)
    assert has_colour(area, top_colour("YlOrRd"))
    assert has_colour(area, (0, 255, 0))  # the zero pixels, in the layer's colour
    assert has_colour(area, (255, 255, 255))  # outside the area: blank
    # the colour bar right of the map runs from the scale's bottom to its top colour
    bar = rgb[MAP_BOX[1] : MAP_BOX[1] + MAP_BOX[3], MAP_BOX[0] + MAP_BOX[2] :]
    assert has_colour(bar, top_colour("YlOrRd")) and has_colour(bar, colormaps["YlOrRd"](0.0, bytes=True))


def test_a_single_pixel_survives_when_a_large_raster_is_reduced():
    values = np.zeros((2000, 2400))
    values[1234, 567] = 9.0
    rgb = decode(map_png(values, (100.0, 20.0, 110.0, 28.33), "big", "units", "magma"))
    assert has_colour(map_area(rgb), top_colour("magma"))
    reduced = block_reduce(values, 7)
    assert reduced.shape == (286, 343) and reduced.max() == 9.0 and np.count_nonzero(reduced) == 1


def test_block_reduce_keeps_outside_blank_and_takes_maxima():
    values = np.array([[np.nan, np.nan, 1.0], [np.nan, np.nan, 2.0], [5.0, 0.0, np.nan]])
    out = block_reduce(values, 2)
    assert np.isnan(out[0, 0]) and out[0, 1] == 2.0 and out[1, 0] == 5.0 and np.isnan(out[1, 1])
    assert block_reduce(values, 1) is values


def test_empty_months_still_draw():
    nothing = np.full((30, 40), np.nan)  # nothing observed
    zeros = np.zeros((30, 40))
    for values in (nothing, zeros):
        rgb = decode(
            map_png(values, BOUNDS, "empty", "units", "magma", (Layer(np.zeros(values.shape, bool), "red", "never"),))
        )
        assert not has_colour(map_area(rgb), (255, 0, 0), tolerance=30)  # an empty layer draws nothing


def test_tick_labels_are_round():
    assert ticks(121.15, 121.45, 4) == [121.2, 121.28, 121.36, 121.44]  # inside the map only
    assert np.allclose(ticks(0.0, 3.05, 6), [0.0, 0.6, 1.2, 1.8, 2.4, 3.0])
    assert tick_labels([121.2, 121.28, 121.36], "°E") == ["121.20°E", "121.28°E", "121.36°E"]
    assert tick_labels([0.0, 50.0, 100.0]) == ["0", "50", "100"]
    assert tick_labels([0.0, 0.6000000000000001]) == ["0.0", "0.6"]


def test_estimates_chart_draws_every_model_and_the_statistics():
    months = [f"2020-{m:02d}" for m in range(1, 13)]
    rows = []
    for model, offset in (("sacnn", 0.0), ("random_forest", 5.0)):
        for i, month in enumerate(months):
            e = 100.0 + i + offset
            rows.append({"month": month, "model": model, "estimate": e, "lower": e - 10, "upper": e + 10})
    statistics = pd.DataFrame(
        {
            "first_month": ["2020-01", *months[2:]],
            "last_month": ["2020-02", *months[2:]],
            "n_months": [2] + [1] * 10,
            "gvio": [210.0] + [100.0 + i for i in range(2, 12)],
        }
    )
    png = estimates_chart_png(pd.DataFrame(rows), statistics, "GVIO, 10⁸ yuan per month")
    rgb = decode(png)
    assert rgb.shape == (400, 720, 3) and len(png) < 60_000
    assert has_colour(rgb, (31, 119, 180), tolerance=12)  # SA-CNN's line (tab:blue)
    assert has_colour(rgb, (0, 0, 0), tolerance=12)  # the published values


def test_markdown_embeds_the_png():
    md = markdown_image(b"\x89PNG fake", "GVIO 2020-03")
    assert md.startswith("![GVIO 2020-03](data:image/png;base64,")
    assert base64.b64decode(md.split(",", 1)[1].rstrip(")")) == b"\x89PNG fake"
