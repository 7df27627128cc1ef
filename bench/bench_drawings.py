"""Benchmark: how well the default checkpoint reads canvas-like drawings of the seed split's test digits.

    MNIST_DATA_DIR=../shared/data/mnist python bench/bench_drawings.py [--n 2000] [--checkpoint P]

Prints accuracy for (a) the whole canvas resized to 28x28, (b) mnist_core's MNIST-style
preprocessing, and (c) the same digits as plain 28x28 test images, per colouring. Both (a) and (b)
start from the same ink map (polarity and alpha handled alike), so the difference is the geometry.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from canvas_like import COLOURINGS, drawings  # noqa: E402

from mnist_core.checkpoints import default_checkpoint_path, load_checkpoint  # noqa: E402
from mnist_core.data import load_mnist, seed_split  # noqa: E402
from mnist_core.model import predict_proba  # noqa: E402
from mnist_core.preprocess import prepare, to_ink  # noqa: E402


def whole_canvas(image: np.ndarray) -> np.ndarray:
    ink = to_ink(image)
    return np.asarray(Image.fromarray(ink, mode="F").resize((28, 28), Image.Resampling.LANCZOS)).reshape(-1)


def accuracy(model, inputs: np.ndarray, labels: np.ndarray) -> float:
    preds = predict_proba(model, torch.from_numpy(np.asarray(inputs, np.float32))).argmax(1).numpy()
    return float((preds == labels).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="test digits to draw (max 10000)")
    parser.add_argument("--checkpoint", default=None)
    args = parser.parse_args()
    path = Path(args.checkpoint) if args.checkpoint else default_checkpoint_path()
    model = load_checkpoint(path).model
    split = seed_split(load_mnist())
    digits, labels = split.x_test[: args.n], split.y_test[: args.n]
    plain = accuracy(model, digits, labels)
    print(f"checkpoint {path.name}, {len(labels)} test digits")
    print(f"(c) plain 28x28 test digits: {100 * plain:.2f}%")
    for colouring in COLOURINGS:
        canvases = drawings(digits, colouring)
        a = accuracy(model, np.stack([whole_canvas(c) for c in canvases]), labels)
        b = accuracy(model, np.stack([prepare(c).flat for c in canvases]), labels)
        print(f"{colouring:>21}: (a) whole canvas {100 * a:6.2f}%  (b) preprocessed {100 * b:6.2f}%  (b)-(c) {100 * (b - plain):+.2f} points")


if __name__ == "__main__":
    main()
