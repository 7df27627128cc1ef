"""Shared helpers for the core tests (tests/test_core_*.py): real data, a trained model, drawn digits.

Real MNIST comes from $MNIST_DATA_DIR when it is set (CI sets MNIST_DATA_DIR=../shared/data/mnist),
else from OpenML as the tutorial loads it (downloaded once, then scikit-learn's cache). Where neither
can be had a real-data test is skipped; under CI=true it fails instead, so CI cannot pass by skipping.
Loaded arrays and the trained tutorial model are cached per process: several tests share them.
"""

from __future__ import annotations

import functools
import os
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from bench.prerequisites import need, on_ci
from mnist_core.data import IDX_FILES

REPO = Path(__file__).resolve().parent.parent


def real_source() -> str:
    """$MNIST_DATA_DIR's folder, checked, or "" for OpenML; CI must give the folder (it has no network)."""
    if os.environ.get("MNIST_DATA_DIR") or on_ci():
        return str(real_data_dir())
    return ""


def real_data_dir() -> Path:
    """The folder of the four real MNIST IDX files (for the tests of reading IDX files themselves)."""
    value = os.environ.get("MNIST_DATA_DIR", "")
    folder = Path(value).expanduser().resolve()
    missing = [s for s in IDX_FILES if not (folder / s).is_file() and not (folder / f"{s}.gz").is_file()]
    need(bool(value), "real MNIST data is required: MNIST_DATA_DIR is not set")
    need(folder.is_dir(), f"real MNIST data is required: MNIST_DATA_DIR={value} is not a folder")
    need(not missing, f"real MNIST data is required: MNIST_DATA_DIR={value} lacks {', '.join(missing)}")
    return folder


@functools.cache
def _load_real(folder: str):
    from mnist_core.data import DataError, load_mnist, seed_split

    try:  # no parsed-array cache: tests must not write to ~/.cache (OpenML's download has its own)
        mnist = load_mnist(data_dir=folder or None, use_cache=False)
    except DataError as e:
        need(False, f"real MNIST data is required: {e}")
    return mnist, seed_split(mnist)


def real_mnist():
    """(Mnist, Split) of the real data, loaded once per process."""
    return _load_real(real_source())


@functools.cache
def _train_tutorial(folder: str):
    import torch

    from mnist_core.config import ModelConfig, TrainConfig
    from mnist_core.run import run_training

    _, split = _load_real(folder)
    result = run_training(ModelConfig(), TrainConfig(), split, device=torch.device("cpu"))
    return result.model, result.before, result.after, result.history


def tutorial_model():
    """The tutorial configuration (TrainConfig(), seed 0) trained on the real seed split, once per process.

    Returns (model, evaluation before training, evaluation after, history).
    """
    return _train_tutorial(real_source())


# A "7" with a bar: strokes in unit coordinates of the digit's box (x, y in [0, 1]).
SEVEN = [[(0.1, 0.05), (0.9, 0.05), (0.35, 0.95)], [(0.3, 0.5), (0.75, 0.5)]]


def draw_digit(
    canvas: int = 280,
    box: tuple[float, float, float] = (0.3, 0.2, 0.5),
    width: float = 0.1,
    strokes=SEVEN,
    *,
    ink: int = 0,
    paper: int = 255,
) -> np.ndarray:
    """A (canvas, canvas) uint8 picture of a digit drawn with thick strokes.

    `box` = (left, top, size) of the digit's box as fractions of the canvas; `width` is the stroke
    width as a fraction of the box. Drawn at 4x and downsampled, so edges are anti-aliased.
    """
    scale = 4
    left, top, size = (v * canvas * scale for v in box)
    im = Image.new("L", (canvas * scale, canvas * scale), paper)
    draw = ImageDraw.Draw(im)
    w = max(1, round(width * size))
    for stroke in strokes:
        points = [(left + x * size, top + y * size) for x, y in stroke]
        draw.line(points, fill=ink, width=w, joint="curve")
        for x, y in points:  # round caps
            draw.ellipse((x - w / 2, y - w / 2, x + w / 2, y + w / 2), fill=ink)
    return np.asarray(im.resize((canvas, canvas), Image.Resampling.BOX))


def save_png(path: Path, array: np.ndarray) -> Path:
    Image.fromarray(array).save(path)
    return path


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def crafted_png(width: int, height: int, *, rows: int = 4, colour_type: int = 0) -> bytes:
    """A valid-looking PNG declaring width x height, with only `rows` rows of (zero) pixel data: a few
    hundred bytes that claim, for 50000 x 50000 RGBA, 10 GB of pixels (a decompression bomb)."""
    channels = {0: 1, 2: 3, 6: 4}[colour_type]
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    data = zlib.compress(b"\x00" * (rows * (1 + width * channels)), 9)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", data) + png_chunk(b"IEND", b"")
