"""Small PNG pictures for the Dagster UI: a map of one month's raster with its colour scale and units, and
the chart of monthly estimates with their intervals against the published statistics.

Pure (no Dagster): numbers in, PNG bytes out. The PNGs are stored in every month's materialization event,
so they are kept small (a 256-colour palette, about 5-40 kB).

Maps are drawn with Pillow, using matplotlib only for its colour maps, tick positions and font: a map is
drawn for every month of two assets, and a matplotlib figure with axes and a colour bar costs about 0.2 s
of CPU (a quarter of the small demo's whole run), this about a tenth of that. The chart, drawn once per
evaluation, uses matplotlib's Agg canvas (no pyplot: no global figure state, no display needed).

Units are written in Latin script (10⁸ yuan = 亿元): the bundled font has no CJK glyphs, and a CJK font
would be a large dependency for one word; the text around the picture carries 亿元.
"""

from __future__ import annotations

import base64
import io
import warnings
from dataclasses import dataclass
from functools import cache

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import colormaps, colors
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from PIL import Image, ImageDraw, ImageFont

#: Size of the picture and the box the map is fitted into, in screen pixels.
WIDTH, HEIGHT = 520, 400
MAP_BOX = (60, 34, 330, 300)  # left, top, width, height
#: A square-root colour scale: night light and GVIO are both very skewed, a few pixels hold most of it.
GAMMA = 0.5
INK, FRAME = (40, 40, 40), (110, 110, 110)
#: Steps of a map's colour scale (invisible as steps); the rest of the 256-colour palette is for layers and
#: the greys of text.
SCALE_COLOURS = 200


@dataclass(frozen=True)
class Layer:
    """Pixels drawn in one flat colour with a legend entry instead of on the colour scale."""

    mask: np.ndarray
    colour: str
    label: str


@cache
def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(f"{matplotlib.get_data_path()}/fonts/ttf/DejaVuSans.ttf", size)


def block_reduce(values: np.ndarray, factor: int) -> np.ndarray:
    """Each factor x factor block reduced to its maximum (NaN-aware; all-NaN blocks, outside the area,
    stay NaN). The raster is padded with NaN to a multiple of the factor."""
    if factor <= 1:
        return values
    h, w = values.shape
    padded = np.full((-(-h // factor) * factor, -(-w // factor) * factor), np.nan)
    padded[:h, :w] = values
    blocks = padded.reshape(padded.shape[0] // factor, factor, padded.shape[1] // factor, factor)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmax(blocks, axis=(1, 3))


def to_png(image: Image.Image, palette: list[tuple[int, int, int]] | None = None) -> bytes:
    """A palette PNG, 2-3 times smaller than RGB. Given `palette` (at most 256 colours), every pixel takes
    its nearest colour from it; otherwise an adaptive palette is chosen, which may merge a colour that only
    a few pixels have into its neighbours (so maps, where one pixel can matter, pass their colours)."""
    if palette is None:
        indexed = image.convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    else:
        # nearest palette colour of each distinct colour (a few hundred), exactly: Pillow's own mapping to a
        # given palette works on reduced precision and turns white into light grey
        rgb = np.asarray(image.convert("RGB"), dtype=np.int32)
        packed = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
        distinct, index = np.unique(packed, return_inverse=True)
        found = np.stack([distinct >> 16, (distinct >> 8) & 255, distinct & 255], axis=1)
        table = np.asarray(palette, dtype=np.int32)
        nearest = ((found[:, None, :] - table[None, :, :]) ** 2).sum(axis=-1).argmin(axis=1)
        indexed = Image.fromarray(nearest[index].reshape(packed.shape).astype(np.uint8), "P")
        indexed.putpalette(table.astype(np.uint8).flatten().tolist())
    out = io.BytesIO()
    indexed.save(out, "PNG", optimize=True)
    return out.getvalue()


def ticks(low: float, high: float, n: int) -> list[float]:
    """Round tick values inside [low, high], as matplotlib would choose them."""
    return [float(t) for t in MaxNLocator(n).tick_values(low, high) if low - 1e-9 <= t <= high + 1e-9]


def tick_labels(values: list[float], suffix: str = "") -> list[str]:
    """Labels of evenly spaced ticks, with as many decimals as their step needs."""
    step = values[1] - values[0] if len(values) > 1 else 1.0
    decimals = max(0, -int(np.floor(np.log10(step))))
    return [f"{v:.{decimals}f}{suffix}" for v in values]


def rgb255(colour: str) -> tuple[int, int, int]:
    return tuple(round(255 * v) for v in colors.to_rgb(colour))


def map_png(
    values: np.ndarray,
    bounds: tuple[float, float, float, float],
    title: str,
    units: str,
    cmap: str,
    layers: tuple[Layer, ...] = (),
) -> bytes:
    """A map of `values` (NaN = outside the area, drawn blank) over `bounds` (west, south, east, north in
    degrees), on a square-root colour scale from 0 to the maximum, with a colour bar labelled `units`.
    Pixels of each layer's mask are drawn in the layer's colour and named in a legend. A raster larger than
    the map box is reduced by blocks first: the colour shows each block's maximum pixel (so a single
    bright or productive pixel is never lost) and the layers show where any pixel of the block is flagged."""
    values = np.asarray(values, dtype=np.float64)
    west, south, east, north = bounds
    box_left, box_top, box_width, box_height = MAP_BOX
    # degrees of longitude are shorter than degrees of latitude: keep the ground's true proportions
    aspect = np.cos(np.radians((south + north) / 2))
    scale = min(box_width / ((east - west) * aspect), box_height / (north - south))  # screen px per degree
    size = (max(1, round((east - west) * aspect * scale)), max(1, round((north - south) * scale)))
    factor = max(1, -(-values.shape[1] // size[0]), -(-values.shape[0] // size[1]))

    flagged = np.zeros(values.shape, bool)
    for layer in layers:
        flagged |= layer.mask
    shown = block_reduce(np.where(flagged, np.nan, values), factor)
    finite = shown[np.isfinite(shown)]
    top = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    norm = colors.PowerNorm(GAMMA, vmin=0.0, vmax=top)
    # the colour scale in SCALE_COLOURS steps, so that its colours, the layers' and the greys of text and
    # frame all fit one exact palette
    colour_map = colormaps[cmap].resampled(SCALE_COLOURS)
    rgba = colour_map(norm(np.nan_to_num(shown)), bytes=True)
    rgba[~np.isfinite(shown)] = (255, 255, 255, 255)
    legend = []
    for layer in layers:
        reduced = block_reduce(layer.mask.astype(float), factor) > 0
        if reduced.any():
            rgba[reduced] = (*rgb255(layer.colour), 255)
            legend.append((layer.colour, f"{layer.label} ({int(layer.mask.sum())} px)"))

    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    left = box_left + (box_width - size[0]) // 2
    top_y = box_top + (box_height - size[1]) // 2
    right, bottom = left + size[0], top_y + size[1]
    image.paste(Image.fromarray(rgba[..., :3]).resize(size, Image.Resampling.NEAREST), (left, top_y))
    draw.rectangle((left - 1, top_y - 1, right, bottom), outline=FRAME)
    draw.text(((left + right) / 2, 8), title, fill=INK, font=font(14), anchor="mt")

    lon_ticks, lat_ticks = ticks(west, east, 4), ticks(south, north, 4)
    for t, text in zip(lon_ticks, tick_labels(lon_ticks, "°E"), strict=True):
        x = left + (t - west) / (east - west) * size[0]
        draw.line((x, bottom, x, bottom + 4), fill=FRAME)
        draw.text((x, bottom + 6), text, fill=INK, font=font(10), anchor="mt")
    for t, text in zip(lat_ticks, tick_labels(lat_ticks, "°N"), strict=True):
        y = bottom - (t - south) / (north - south) * size[1]
        draw.line((left - 5, y, left - 1, y), fill=FRAME)
        draw.text((left - 7, y), text, fill=INK, font=font(10), anchor="rm")

    # the colour bar, as tall as the map, evenly spaced in the scale's (square-root) space
    bar_left, bar_top = box_left + box_width + 28, box_top
    bar_bottom = box_top + box_height
    fractions = np.linspace(1.0, 0.0, bar_bottom - bar_top)[:, None]
    bar = colour_map(np.repeat(fractions, 16, axis=1), bytes=True)[..., :3]
    image.paste(Image.fromarray(bar), (bar_left, bar_top))
    draw.rectangle((bar_left - 1, bar_top - 1, bar_left + 16, bar_bottom), outline=FRAME)
    bar_ticks = ticks(0.0, top, 6)
    for t, text in zip(bar_ticks, tick_labels(bar_ticks), strict=True):
        y = bar_bottom - float(norm(t)) * (bar_bottom - bar_top)
        draw.line((bar_left + 16, y, bar_left + 20, y), fill=FRAME)
        draw.text((bar_left + 23, y), text, fill=INK, font=font(10), anchor="lm")
    caption = units + (f"  (max of {factor}×{factor} px blocks)" if factor > 1 else "")
    strip = Image.new("RGB", (bar_bottom - bar_top, 16), "white")
    ImageDraw.Draw(strip).text(((bar_bottom - bar_top) / 2, 8), caption, fill=INK, font=font(11), anchor="mm")
    image.paste(strip.rotate(90, expand=True), (bar_left + 60, bar_top))

    x = left
    for colour, text_label in legend:
        draw.rectangle((x, HEIGHT - 24, x + 11, HEIGHT - 13), fill=colour, outline=FRAME)
        draw.text((x + 16, HEIGHT - 18), text_label, fill=INK, font=font(10), anchor="lm")
        x += 30 + int(draw.textlength(text_label, font=font(10)))
    palette = [tuple(c) for c in colour_map(np.arange(SCALE_COLOURS), bytes=True)[:, :3].tolist()]
    palette += [rgb255(layer.colour) for layer in layers]
    # greys from the ink to white, for the text's anti-aliased edges and the frame
    palette += [(g, g, g) for g in np.linspace(INK[0], 255, 256 - len(palette)).round().astype(int).tolist()]
    return to_png(image, palette)


def month_dates(months: pd.Series) -> pd.DatetimeIndex:
    """'YYYY-MM' -> the middle of the month, where a monthly value belongs on a time axis."""
    return pd.DatetimeIndex(pd.to_datetime(months, format="%Y-%m") + pd.Timedelta(days=14))


def estimates_chart_png(
    estimates: pd.DataFrame,
    statistics: pd.DataFrame,
    units: str,
    banded_model: str = "sacnn",
) -> bytes:
    """Monthly estimates against the published statistics. `estimates`: `month`, `model`, `estimate`,
    `lower`, `upper` (one row per model and month); `banded_model` is drawn with its interval as a band,
    the other models as thin lines. `statistics`: `first_month`, `last_month`, `n_months`, `gvio` (the
    stored statistics table). A release covering several months (January-February) is drawn as a
    horizontal bar over those months at its per-month mean, marked as such: it is never split in the data."""
    figure = Figure(figsize=(7.2, 4.0), dpi=100)
    ax = figure.add_axes((0.09, 0.27, 0.88, 0.65))
    for i, (model, rows) in enumerate(estimates.sort_values("month").groupby("model", sort=False)):
        x = month_dates(rows["month"])
        if model == banded_model:
            ax.fill_between(
                x, rows["lower"], rows["upper"], color="tab:blue", alpha=0.2, linewidth=0, label=f"{model} interval"
            )
            ax.plot(x, rows["estimate"], color="tab:blue", linewidth=1.8, label=f"{model} estimate")
        else:
            ax.plot(x, rows["estimate"], color=f"C{i + 1}", linewidth=0.8, alpha=0.8, label=model)
    single = statistics[statistics["n_months"] == 1]
    ax.plot(month_dates(single["first_month"]), single["gvio"], "o", color="black", markersize=3.5, label="published")
    combined = statistics[statistics["n_months"] > 1]
    for j, row in enumerate(combined.itertuples()):
        first, last = month_dates(pd.Series([row.first_month, row.last_month]))
        mean = row.gvio / row.n_months
        ax.plot(
            [first, last],
            [mean, mean],
            "s-",
            color="black",
            markersize=3,
            linewidth=2.5,
            markerfacecolor="white",
            label="published, months combined (mean per month)" if j == 0 else None,
        )
    ax.set_ylabel(units, fontsize=8)
    ax.set_title("Monthly GVIO: estimates and published statistics", fontsize=10)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3, linewidth=0.5)
    figure.legend(loc="lower center", ncols=4, fontsize=7, frameon=False)
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return to_png(Image.fromarray(np.asarray(canvas.buffer_rgba())))


def markdown_image(png: bytes, alt: str) -> str:
    """Markdown that shows the PNG inline (the Dagster UI renders data: images in markdown metadata)."""
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode('ascii')})"
