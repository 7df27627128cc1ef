"""The experiment bench: one digit shifted, rotated, scaled, thickened or thinned, and made noisy.

Deterministic for a seed, so a slider moved back returns the same picture and the same probabilities.
The geometry uses the same `affine_grid` / `grid_sample` as the training distortions (augment.py), so
what the bench shows is the kind of change the best network was trained on.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

SIDE = 28
MAX_THICKNESS = 2


def _affine(image: torch.Tensor, shift: tuple[float, float], rotate_deg: float, scale: float) -> torch.Tensor:
    """image (1, 1, 28, 28) -> the same after scaling by `scale` and rotating counter-clockwise by
    `rotate_deg` about the centre, then shifting (dx right, dy down) pixels. Bilinear; outside is 0."""
    a = math.radians(rotate_deg)
    cos, sin = math.cos(a), math.sin(a)
    # affine_grid maps each output point to the input point it samples: the inverse transform,
    # p_in = R(-a) (p_out - t) / s, in [-1, 1] units where one pixel is 2/28 (y points down).
    tx, ty = 2 * shift[0] / SIDE, 2 * shift[1] / SIDE
    inverse = torch.tensor([[cos, -sin], [sin, cos]], dtype=torch.float64) / scale
    offset = -inverse @ torch.tensor([tx, ty], dtype=torch.float64)
    theta = torch.cat([inverse, offset[:, None]], dim=1)[None].float()  # (1, 2, 3)
    grid = F.affine_grid(theta, [1, 1, SIDE, SIDE], align_corners=False)
    return F.grid_sample(image, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def _morph(image: torch.Tensor, steps: int) -> torch.Tensor:
    """Grey dilation (steps > 0) or erosion (steps < 0) of image (1, 1, 28, 28), |steps| times, with a
    2x2 square: each step widens (or narrows) a stroke by one pixel.

    The square's corner alternates (right-down, then left-up) so two steps keep the digit in place.
    Measured on the first 1000 test digits (ink > 0.5): area x1.52 and x2.02 at +1 and +2, x0.49 and
    x0.09 at -1 and -2, where 15% vanish altogether: MNIST strokes are only 2-3 pixels wide. A 3x3
    cross moves 2 pixels a step and empties 52% of them at -2.
    """
    sign = 1.0 if steps > 0 else -1.0
    x = image * sign  # erosion of x is -(dilation of -x)
    for step in range(abs(steps)):
        p = F.pad(x, (1, 1, 1, 1), value=0.0 if sign > 0 else -1.0)  # outside is background
        if step % 2 == 0:  # the pixel and its right, lower and lower-right neighbours
            block = (p[..., 1:-1, 1:-1], p[..., 1:-1, 2:], p[..., 2:, 1:-1], p[..., 2:, 2:])
        else:  # the pixel and its left, upper and upper-left neighbours
            block = (p[..., 1:-1, 1:-1], p[..., 1:-1, :-2], p[..., :-2, 1:-1], p[..., :-2, :-2])
        x = torch.stack(block).amax(dim=0)
    return x * sign


def transform_digit(
    x28: np.ndarray,
    *,
    shift: tuple[float, float] = (0.0, 0.0),
    rotate_deg: float = 0.0,
    scale: float = 1.0,
    thickness: int = 0,
    noise: float = 0.0,
    seed: int = 0,
) -> np.ndarray:
    """A digit x28 (28, 28) or (784,) in [0, 1] -> a new (28, 28) float32 in [0, 1].

    Order: scale and rotate about the centre, shift, then thicken (+1, +2) or thin (-1, -2) the
    strokes by one pixel a step, then add Gaussian noise of standard deviation `noise` (clipped to [0, 1]) drawn from
    `seed`: strokes are thickened as they end up on screen, and noise lands on the final picture.
    """
    if not 0.2 <= scale <= 5.0:
        raise ValueError(f"scale must be in [0.2, 5], got {scale}")
    if int(thickness) != thickness or abs(thickness) > MAX_THICKNESS:
        raise ValueError(f"thickness must be an integer in [-{MAX_THICKNESS}, {MAX_THICKNESS}], got {thickness}")
    if not 0.0 <= noise <= 1.0:
        raise ValueError(f"noise must be in [0, 1], got {noise}")
    pixels = np.asarray(x28, dtype=np.float32)
    if pixels.size != SIDE * SIDE:
        raise ValueError(f"expected a 28x28 digit, got shape {pixels.shape}")
    image = torch.from_numpy(pixels.reshape(1, 1, SIDE, SIDE).copy())
    if shift != (0, 0) or rotate_deg != 0 or scale != 1:  # the identity is kept exact, not resampled
        image = _affine(image, (float(shift[0]), float(shift[1])), float(rotate_deg), float(scale))
    if thickness:
        image = _morph(image, int(thickness))
    out = image[0, 0].numpy()
    if noise > 0:
        out = out + np.random.default_rng(seed).normal(0.0, noise, out.shape).astype(np.float32)
    return np.clip(out, 0.0, 1.0).astype(np.float32)
