"""Canvas-like drawings made from real MNIST digits, for measuring preprocessing.

Each 28x28 digit is blown up to a random size (80-260 px tall), its strokes thickened or thinned,
dropped at a random place on a 280x280 canvas and coloured one of three ways, as people draw:
white on black, black on white, or black on a transparent background (ink only in alpha).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

CANVAS = 280
COLOURINGS = ("white_on_black", "black_on_white", "black_on_transparent")


def _restroke(ink: torch.Tensor, radius: int) -> torch.Tensor:
    """Thicken (radius > 0) or thin (radius < 0) strokes of a (1, 1, H, W) ink map."""
    if radius == 0:
        return ink
    k = 2 * abs(radius) + 1
    if radius > 0:
        return F.max_pool2d(ink, k, stride=1, padding=abs(radius))
    return -F.max_pool2d(-ink, k, stride=1, padding=abs(radius))


def big_ink(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 28x28 digit in [0, 1] -> its ink, cropped, about 80-260 px tall with varied stroke width."""
    rows, cols = np.flatnonzero(digit.max(1) > 0.1), np.flatnonzero(digit.max(0) > 0.1)
    crop = torch.from_numpy(np.ascontiguousarray(digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]))
    height = rng.uniform(80, 260)
    scale = height / crop.shape[0]
    size = (round(crop.shape[0] * scale), max(1, round(crop.shape[1] * scale)))
    big = F.interpolate(crop[None, None].float(), size=size, mode="bilinear", align_corners=False)
    # MNIST strokes are ~2-3 px of 20: scaled up they are ~scale*2.5 px; vary that by -30%..+60%.
    radius = int(round(rng.uniform(-0.3, 0.6) * scale * 1.25))
    big = _restroke(big, radius).clamp(0, 1)
    big = (big > 0.5).float()  # canvas strokes are solid, not grey
    return big[0, 0].numpy()[: CANVAS - 2, : CANVAS - 2]


def to_canvas(ink: np.ndarray, colouring: str, rng: np.random.Generator) -> np.ndarray:
    """Place ink at a random position on a 280x280 RGBA uint8 canvas, coloured as asked."""
    h, w = ink.shape
    top, left = rng.integers(0, CANVAS - h + 1), rng.integers(0, CANVAS - w + 1)
    full = np.zeros((CANVAS, CANVAS), np.float32)
    full[top : top + h, left : left + w] = ink
    value = (full * 255).astype(np.uint8)
    rgba = np.zeros((CANVAS, CANVAS, 4), np.uint8)
    if colouring == "white_on_black":
        rgba[..., :3], rgba[..., 3] = value[..., None], 255
    elif colouring == "black_on_white":
        rgba[..., :3], rgba[..., 3] = 255 - value[..., None], 255
    elif colouring == "black_on_transparent":
        rgba[..., 3] = value  # RGB stays 0: a transparent canvas exports black strokes in alpha only
    else:
        raise ValueError(f"unknown colouring {colouring!r}; choose from {COLOURINGS}")
    return rgba


def drawings(digits: np.ndarray, colouring: str, *, seed: int = 0) -> list[np.ndarray]:
    """One canvas per digit of `digits` (N, 784) floats in [0, 1]."""
    rng = np.random.default_rng(seed)
    return [to_canvas(big_ink(d.reshape(28, 28), rng), colouring, rng) for d in digits]
