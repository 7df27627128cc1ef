"""Maps as coloured pixels: a saliency map beside its digit, a row of first-layer templates, and a
hidden layer's activations as a grid of squares, one per unit.

The inside view draws these for every digit it is shown, so they are numpy arrays coloured with
matplotlib's colour maps (a lookup, no figure), not matplotlib figures: measured with bench/bench_inside.py, a
saliency figure took 105 ms to PNG and ten templates about as long; these take a millisecond or two.
The activations were Vega-Lite bar charts: for the best network's two layers of 1024 units they
were the slowest part of a new digit in the browser (bench/bench_views.py: the inside view answered
another test image in 298 ms with them, 171 ms without them, idle). The unit numbers and the
colour key are the page's text, under the picture.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import Normalize
from PIL import Image, ImageDraw, ImageFont

from .pictures import enlarge

MAGMA = colormaps["magma"]  # black for a unit that is off, to pale yellow for the strongest
DIVERGING = colormaps["RdBu_r"]  # white at 0: red where ink raises the score, blue where it lowers it
SCALE = 8  # screen pixels per input pixel: 28 -> 224
GRID_WIDTH = 320  # screen pixels across a layer's grid, whatever its size
GAP = 2  # input pixels of white between the pictures


def signed(values: np.ndarray, limit: float | None = None) -> np.ndarray:
    """Values (H, W) on a scale symmetric around 0 -> RGB uint8 (H, W, 3); `limit` defaults to their largest size."""
    top = float(np.abs(values).max()) if limit is None else limit
    return DIVERGING(Normalize(-max(top, 1e-12), max(top, 1e-12))(values), bytes=True)[..., :3]


def grey(ink: np.ndarray) -> np.ndarray:
    """Ink (H, W) in [0, 1] -> RGB uint8 (H, W, 3), white on black as the canvas draws it."""
    level = (np.clip(ink, 0, 1) * 255).astype(np.uint8)
    return np.repeat(level[..., None], 3, axis=2)


def row(pictures: list[np.ndarray], scale: int = SCALE) -> np.ndarray:
    """RGB pictures (H, W, 3) side by side, `GAP` white pixels between, each pixel a `scale` x `scale` square."""
    h = max(p.shape[0] for p in pictures)
    out = np.full((h, sum(p.shape[1] for p in pictures) + GAP * (len(pictures) - 1), 3), 255, np.uint8)
    x = 0
    for picture in pictures:
        out[: picture.shape[0], x : x + picture.shape[1]] = picture
        x += picture.shape[1] + GAP
    return enlarge(out, scale)


def saliency_picture(x28: np.ndarray, saliency: np.ndarray) -> np.ndarray:
    """The digit (28, 28) and its saliency (28, 28) side by side: (224, 464, 3) uint8."""
    return row([grey(np.asarray(x28, np.float32).reshape(28, 28)), signed(saliency)])


def templates_mosaic(templates: np.ndarray, units, cols: int = 10, *, numbers: bool = True, scale: int = 4) -> np.ndarray:
    """The templates (H, 28, 28) of `units` (K >= 1,) in rows of `cols`, on one scale (a pale tile is a
    weak unit), each numbered with its unit in its top-left corner (`numbers`). RGB uint8."""
    units = np.asarray(units, dtype=np.int64)
    tiles = templates[units]
    limit = float(np.abs(tiles).max())
    blank = np.full((28, 28, 3), 255, np.uint8)
    coloured = [signed(tile, limit) for tile in tiles] + [blank] * (-len(tiles) % cols)  # the last row filled out
    strips = [row(coloured[i : i + cols], scale) for i in range(0, len(coloured), cols)]
    gap = np.full((GAP * scale, strips[0].shape[1], 3), 255, np.uint8)
    image = Image.fromarray(np.concatenate([part for strip in strips for part in (strip, gap)][:-1]))
    if numbers:
        draw, font, step = ImageDraw.Draw(image), ImageFont.load_default(size=3 * scale), (28 + GAP) * scale
        for i, unit in enumerate(units):
            r, c = divmod(i, cols)
            draw.text((c * step + scale, r * step + scale // 2), str(int(unit)), fill=(64, 64, 64), font=font)
    return np.asarray(image)


def templates_picture(templates: np.ndarray, units, scale: int = 4) -> np.ndarray:
    """The templates of `units` in one row, unnumbered (the page lists the units under it)."""
    return templates_mosaic(templates, units, cols=len(units), numbers=False, scale=scale)


def grid_columns(units: int) -> int:
    """Columns of a layer's grid: a square, or nearly (100 units: 10, 1024: 32)."""
    return max(1, int(np.ceil(np.sqrt(units))))


def activation_grid(values: np.ndarray) -> np.ndarray:
    """A layer's activations (H,) >= 0 as a grid, unit 0 top left, row by row; each unit a square,
    black when off, brighter the stronger it fires (the layer's strongest unit: the top of the scale).
    Lines of dark grey between the squares, so a unit can be counted out. RGB uint8."""
    cols = grid_columns(len(values))
    rows = -(-len(values) // cols)
    level = np.zeros(rows * cols, np.float32)
    level[: len(values)] = np.asarray(values, np.float32) / max(float(np.max(values, initial=0.0)), 1e-12)
    colours = MAGMA(level.reshape(rows, cols), bytes=True)[..., :3]
    colours.reshape(-1, 3)[len(values) :] = 255  # the last row's empty places: white, not "off"
    scale = max(2, GRID_WIDTH // cols)
    out = enlarge(colours, scale)
    out[::scale, :] = out[:, ::scale] = 60
    return out


def png(picture: np.ndarray) -> bytes:
    """An RGB picture as PNG bytes (what `st.image` would make of it, made once for a cache)."""
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG")
    return buffer.getvalue()
