"""Pen-drawn digits made from real MNIST digits: each digit's skeleton redrawn with a round pen of one width.

This is how a participant draws on the canvas: whatever the size of the digit, the pen is the same,
so strokes come out as hairlines or markers relative to the digit, never with MNIST's varied width.
Each 28x28 digit is upsampled 4x, thresholded and thinned to its skeleton; the skeleton is scaled to
90-300 px tall, tilted up to 10 degrees, and redrawn on a 336x336 canvas anywhere it fits as
round-capped lines 12-36 px wide (the page's own pen is 24 px) between neighbouring skeleton pixels,
in one of the canvas colourings. The checkpoints are measured on the seed split's test digits drawn
this way and never train on them (`pen_ceiling.py` draws training digits so for a reference reader).
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from mnist_core.augment import skeletonize

CANVAS = 336
UPSAMPLE = 4
PEN_PX = (12, 36)
HEIGHT_PX = (90, 300)
TILT_DEG = 10.0
COLOURINGS = ("white_on_black", "black_on_white", "black_on_transparent")


def upsampled(digits: np.ndarray):
    """(N, 784) digits in [0, 1] -> (N, 1, 112, 112) boolean tensor: upsampled 4x (bilinear), ink from 0.5."""
    import torch
    import torch.nn.functional as F

    big = F.interpolate(torch.from_numpy(np.asarray(digits, np.float32)).view(-1, 1, 28, 28), scale_factor=UPSAMPLE,
                        mode="bilinear", align_corners=False)  # fmt: skip
    return big >= 0.5


def skeletons(digits: np.ndarray) -> np.ndarray:
    """(N, 784) digits in [0, 1] -> (N, 112, 112) boolean skeletons of the 4x upsampled digits."""
    binary = upsampled(digits)
    # Strokes at 4x are up to ~30 pixels wide: thin until nothing changes (15 iterations peel 30).
    return np.concatenate([skeletonize(binary[i : i + 500], iterations=20)[:, 0].bool().numpy() for i in range(0, len(binary), 500)])


def _segments(skeleton: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Skeleton pixels (K, 2) as (y, x) and the pairs of 8-neighbours among them (each pair once)."""
    points = np.argwhere(skeleton)
    index = {tuple(p): i for i, p in enumerate(points)}
    pairs = []
    for i, (y, x) in enumerate(points):
        for dy, dx in ((0, 1), (1, -1), (1, 0), (1, 1)):
            j = index.get((y + dy, x + dx))
            if j is not None:
                pairs.append((i, j))
    return points, pairs


def pen_ink(skeleton: np.ndarray, rng: np.random.Generator, pen_px: tuple[float, float] = PEN_PX) -> np.ndarray:
    """One skeleton -> a (CANVAS, CANVAS) uint8 ink map drawn with a round pen, random size, tilt, place, width."""
    points, pairs = _segments(skeleton)
    pen = rng.uniform(*pen_px)
    height = rng.uniform(*HEIGHT_PX)
    tilt = math.radians(rng.uniform(-TILT_DEG, TILT_DEG))
    yx = points.astype(np.float64)
    yx -= yx.mean(0)
    span = max(1.0, np.ptp(yx[:, 0]))
    scale = max(1.0, height - pen) / span  # the drawn digit, pen included, is `height` tall
    c, s = math.cos(tilt), math.sin(tilt)
    x = (c * yx[:, 1] - s * yx[:, 0]) * scale
    y = (s * yx[:, 1] + c * yx[:, 0]) * scale
    r = pen / 2
    lo_x, hi_x, lo_y, hi_y = x.min() - r, x.max() + r, y.min() - r, y.max() + r
    if hi_x - lo_x > CANVAS - 2 or hi_y - lo_y > CANVAS - 2:  # too wide for the canvas: shrink to fit
        shrink = (CANVAS - 4 - pen) / max(hi_x - lo_x - pen, hi_y - lo_y - pen)
        x, y = x * shrink, y * shrink
        lo_x, hi_x, lo_y, hi_y = x.min() - r, x.max() + r, y.min() - r, y.max() + r
    x += rng.uniform(1 - lo_x, max(1 - lo_x, CANVAS - 1 - hi_x))
    y += rng.uniform(1 - lo_y, max(1 - lo_y, CANVAS - 1 - hi_y))
    image = Image.new("L", (CANVAS, CANVAS), 0)
    draw = ImageDraw.Draw(image)
    for px, py in zip(x, y):
        draw.ellipse((px - r, py - r, px + r, py + r), fill=255)
    width = max(1, round(pen))
    for i, j in pairs:
        draw.line((x[i], y[i], x[j], y[j]), fill=255, width=width)
    return np.asarray(image)


def to_canvas(ink: np.ndarray, colouring: str) -> np.ndarray:
    rgba = np.zeros((*ink.shape, 4), np.uint8)
    if colouring == "white_on_black":
        rgba[..., :3], rgba[..., 3] = ink[..., None], 255
    elif colouring == "black_on_white":
        rgba[..., :3], rgba[..., 3] = 255 - ink[..., None], 255
    elif colouring == "black_on_transparent":
        rgba[..., 3] = ink
    else:
        raise ValueError(f"unknown colouring {colouring!r}; choose from {COLOURINGS}")
    return rgba


def drawings(digits: np.ndarray, *, seed: int = 0, pen_px: tuple[float, float] = PEN_PX):
    """Yield one RGBA canvas per digit of `digits` (N, 784), colourings in turn, pens `pen_px` wide (uniform)."""
    rng = np.random.default_rng(seed)
    for i, skeleton in enumerate(skeletons(digits)):
        yield to_canvas(pen_ink(skeleton, rng, pen_px), COLOURINGS[i % len(COLOURINGS)])
