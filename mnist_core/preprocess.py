"""Turn a drawing or a photo of one digit into the 28x28 input MNIST digits look like.

MNIST digits were size-normalised to fit a 20x20 box keeping their aspect ratio, anti-aliased, and
placed in a 28x28 field with their centre of mass at the centre. Doing the same to a canvas drawing
(instead of squashing the whole canvas to 28x28) is what makes drawn digits readable to the model.

A canvas pen has one width whatever the size of the digit, so a digit drawn small comes out in a
marker's strokes, far wider than MNIST's pen ever was. Strokes wider than MNIST's widest are eroded
to that width before fitting the box (`thin_strokes`); thinner ones are left as drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np
from PIL import Image
from scipy.ndimage import distance_transform_edt

INK_THRESHOLD = 0.2  # ink below this fraction of full strength is background noise, not the digit
MIN_INK_PIXELS = 4  # fewer strong pixels than this is an empty drawing
MIN_EXTENT = 0.15  # a digit spans at least this fraction of the picture's longer side: less is a dot
MAX_FILL = 0.75  # the inkiest MNIST digits fill about 60% of their 20x20 box: more is a scribble
BOX, FIELD = 20, 28
# MNIST's stroke width in its 20x20 box, measured with `stroke_width` on 3000 training digits
# (upsampled 4x): median 2.4 px, 90th percentile 3.5, 95th 3.8; 97% are at most 4.0. Wider strokes
# are eroded to this.
MAX_STROKE = 4.0


class Problem(str, Enum):
    """Why a picture has nothing to classify: a code for the caller to put into words."""

    EMPTY = "empty"  # nothing drawn yet
    TOO_SMALL = "too_small"  # a dot: the digit must be drawn larger
    SCRIBBLE = "scribble"  # ink over most of the box: not one digit


@dataclass(frozen=True)
class Prepared:
    """The stages of preprocessing, each float32 in [0, 1] with 1 = ink.

    `ink` is the whole input as an ink map, `crop` the digit's bounding box, `digit` the 28x28 model
    input. `problem` says why there is nothing to classify (a `Problem`), else None.
    """

    ink: np.ndarray
    crop: np.ndarray
    digit: np.ndarray
    problem: Problem | None = None
    thinned: bool = False  # the strokes were wider than MNIST's and were eroded (`thin_strokes`)

    @property
    def empty(self) -> bool:
        return self.problem is not None

    @property
    def flat(self) -> np.ndarray:
        """The model input as (784,) float32."""
        return self.digit.reshape(-1)


POLARITIES = ("auto", "light", "dark")


def to_ink(image: np.ndarray, polarity: str = "auto") -> np.ndarray:
    """An (H, W), (H, W, 3) or (H, W, 4) image of any integer or float range -> (H, W) ink in [0, 1].

    With transparency, the alpha channel is the ink (a canvas exported over no background). Otherwise
    ink is light on dark or dark on light: `polarity` says which when the caller knows (a canvas with
    a set background), else ("auto") the border decides: the background is what most of it shows.
    """
    if polarity not in POLARITIES:
        raise ValueError(f"invalid polarity {polarity!r}: choose from {POLARITIES}")
    a = np.asarray(image)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)) or min(a.shape[:2]) < 1:
        raise ValueError(f"expected an (H, W), (H, W, 3) or (H, W, 4) image, got shape {a.shape}")
    scale = 255.0 if a.dtype == np.uint8 else (65535.0 if a.dtype == np.uint16 else max(1.0, float(a.max())))
    a = a.astype(np.float32) / scale
    if a.ndim == 3 and a.shape[2] == 4 and a[..., 3].min() < 0.98:
        return np.clip(a[..., 3], 0.0, 1.0)
    gray = a if a.ndim == 2 else a[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    if polarity == "auto":
        background = float(np.median(np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])))
    else:
        background = 0.0 if polarity == "light" else 1.0
    ink = gray if background < 0.5 else 1.0 - gray
    floor = min(background, 1.0 - background)  # a grey background's own level is not ink
    return np.clip((ink - floor) / max(1e-6, 1.0 - floor), 0.0, 1.0)


def stroke_width(binary: np.ndarray) -> tuple[float, np.ndarray]:
    """The typical stroke width in pixels of a boolean ink map, and its distance transform.

    Across a stroke w pixels wide the distances to the background run evenly from 1 to w/2, so
    w = 4 * mean - 2. The mean of the distances up to twice their median (plus a pixel, for even
    widths): a loop the pen filled is a blob of large distances, which must not make the whole
    digit's strokes look wider than they are.
    """
    distance = distance_transform_edt(np.pad(binary, 1))[1:-1, 1:-1]
    inside = distance[binary]
    return 4 * float(inside[inside <= 2 * np.median(inside) + 1].mean()) - 2, distance


def thin_strokes(crop: np.ndarray, max_width: float = MAX_STROKE) -> tuple[np.ndarray, bool]:
    """Erode a crop's strokes so that, once fitted to the BOX, they are at most `max_width` wide.

    Returns the (new) crop, cut to its ink, and whether it was thinned. Eroding by d pixels takes
    2d off both the strokes' width w and the digit's extent E, so d solves (w - 2d) / (E - 2d) =
    max_width / BOX. Measured on 10000 pen-drawn test digits with best_mlp.pt (bench/bench_drawings.py):
    95.9% read right without it, 97.5% with it (87.1% instead of 61.5% for pens over 6 px of the box).
    """
    binary = crop >= 0.5
    if not binary.any():
        return crop, False
    width, distance = stroke_width(binary)
    extent = max(crop.shape)
    if width * BOX / extent <= max_width:
        return crop, False
    depth = (width - max_width * extent / BOX) / (2 * (1 - max_width / BOX))
    ink = np.clip(distance - depth, 0.0, 1.0).astype(np.float32)  # anti-aliased: a pixel deep is full ink
    rows, cols = np.flatnonzero(ink.max(1) > 0), np.flatnonzero(ink.max(0) > 0)
    if len(rows) == 0:
        return crop, False
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], True


def _fit_box(crop: np.ndarray) -> np.ndarray:
    """Resize so the longer side is BOX pixels, keeping the aspect ratio, with anti-aliasing, at full strength."""
    h, w = crop.shape
    scale = BOX / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    resized = np.clip(np.asarray(Image.fromarray(crop, mode="F").resize(size, Image.Resampling.LANCZOS)), 0.0, 1.0)
    return resized / max(float(resized.max()), 1e-6)  # full-strength strokes, as in MNIST


def _centre_by_mass(patch: np.ndarray) -> np.ndarray:
    """Place `patch` in a FIELD x FIELD frame so its centre of mass lands on the frame's centre."""
    h, w = patch.shape
    ys, xs = np.indices(patch.shape)
    mass = patch.sum()
    cy, cx = (ys * patch).sum() / mass, (xs * patch).sum() / mass
    # MNIST's centres of mass sit at pixel index (14, 14) (measured: mean 13.99, 14.00).
    top = int(np.clip(round(FIELD / 2 - cy), 0, FIELD - h))
    left = int(np.clip(round(FIELD / 2 - cx), 0, FIELD - w))
    out = np.zeros((FIELD, FIELD), dtype=np.float32)
    out[top : top + h, left : left + w] = patch
    return out


def _rejected(ink: np.ndarray, crop: np.ndarray, problem: Problem) -> Prepared:
    return Prepared(ink, crop, np.zeros((FIELD, FIELD), np.float32), problem)


def prepare(image: np.ndarray, polarity: str = "auto") -> Prepared:
    """Find the ink, crop it, thin a marker's strokes, fit it in 20x20 and centre it by mass in 28x28.

    `polarity`: "light" (light ink on dark), "dark", or "auto" to judge by the picture's border.
    """
    ink = to_ink(image, polarity)
    strong = ink >= INK_THRESHOLD * max(float(ink.max()), 1e-6)
    if ink.max() < INK_THRESHOLD or strong.sum() < MIN_INK_PIXELS:
        return _rejected(ink, np.zeros((1, 1), np.float32), Problem.EMPTY)
    rows, cols = np.flatnonzero(strong.any(axis=1)), np.flatnonzero(strong.any(axis=0))
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    if max(crop.shape) < MIN_EXTENT * max(ink.shape):
        return _rejected(ink, crop, Problem.TOO_SMALL)
    patch = _fit_box(crop)
    if patch.sum() > MAX_FILL * BOX * BOX:
        return _rejected(ink, crop, Problem.SCRIBBLE)
    thin, thinned = thin_strokes(crop)
    if thinned:
        patch = _fit_box(thin)
    return Prepared(ink, crop, _centre_by_mass(patch), thinned=thinned)
