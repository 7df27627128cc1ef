"""Benchmark: how readable is the pen-drawn set? A reference reader trained on its own drawing process.

    MNIST_DATA_DIR=../shared/data/mnist python bench/pen_ceiling.py --sets drawings.npz \
        [--reader cnn|mlp] [--n-train 30000] [--epochs N] [--cache train_pen.npz]

Draws the first N *training* digits of the seed split exactly as `pen_drawn.py` draws the test
digits (another seed), prepares them as the canvas does, and trains a reader on the 60000 training
digits plus these drawings with `mnist_core.train` and the best preset's settings (distorted digits
but in the last epochs, one-cycle Adam, bfloat16): `cnn`, a small convolutional network (three 3x3
convolutions, two poolings; 6 epochs, the last undistorted: a reference only, the app's networks stay
fully connected), or `mlp`, `--preset best` itself. It then reads (a) the plain test digits and (c)
the pen-drawn ones from `--sets` (`bench_drawings.py --cache`, the very drawings the checkpoints are
measured on), broken down as `bench_drawings.py` does. What a reader trained on the drawing process
still gets wrong is lost in the set itself: a digit whose loop MNIST's pen filled has no loop in its
skeleton, for every reader.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import pen_drawn  # noqa: E402
from bench_drawings import correct, loops_filled, pen_breakdown  # noqa: E402

from mnist_core.data import load_mnist, seed_split  # noqa: E402
from mnist_core.model import build_mlp  # noqa: E402
from mnist_core.preprocess import prepare  # noqa: E402
from mnist_core.presets import PRESETS  # noqa: E402
from mnist_core.train import seed_everything, train  # noqa: E402

CHUNK = 1000
DRAWING_SEED = 100  # the test set is drawn with seed 0: other pens, sizes and places


class ReferenceCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.convs = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (64, 14, 14)
            nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (128, 7, 7)
        )  # fmt: skip
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(128 * 7 * 7, 256), nn.ReLU(), nn.Dropout(0.3), nn.Linear(256, 10)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.convs(x.view(-1, 1, 28, 28)))


def _draw_chunk(args) -> np.ndarray:
    digits, seed = args
    torch.set_num_threads(1)  # one process a core
    return np.stack([prepare(canvas).flat for canvas in pen_drawn.drawings(digits, seed=seed)])


def drawn_training_digits(x: np.ndarray, cache: Path | None) -> np.ndarray:
    """(N, 784) prepared pen drawings of `x`, read from `cache` if it holds them, else drawn (and written)."""
    if cache is not None and cache.is_file():
        with np.load(cache) as f:
            assert len(f["x"]) == len(x), f"{cache} holds another --n-train"
            return f["x"]
    chunks = [(x[i : i + CHUNK], DRAWING_SEED + i) for i in range(0, len(x), CHUNK)]
    with Pool(2) as pool:
        drawn = np.concatenate(pool.map(_draw_chunk, chunks))
    if cache is not None:
        np.savez_compressed(cache, x=drawn)
    return drawn


def reader(name: str, epochs: int | None):
    """A fresh reader (seeded as `--preset best` seeds its network) and its training configuration."""
    model_config, config = PRESETS["best"]
    if name == "cnn":
        config = dataclasses.replace(config, epochs=6, clean_epochs=1)
    if epochs is not None:
        config = dataclasses.replace(config, epochs=epochs, clean_epochs=min(config.clean_epochs, epochs))
    seed_everything(config.seed)
    return (ReferenceCNN() if name == "cnn" else build_mlp(model_config)), config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", required=True, help="bench_drawings.py's --cache file (10000 digits)")
    parser.add_argument("--reader", choices=("cnn", "mlp"), default="cnn")
    parser.add_argument("--n-train", type=int, default=30000, help="training digits to draw")
    parser.add_argument("--epochs", type=int, default=None, help="default: cnn 6, mlp the preset's 38")
    parser.add_argument("--cache", help="an .npz of the drawn training digits: read if it exists, else written")
    args = parser.parse_args()
    split = seed_split(load_mnist())
    start = time.perf_counter()
    drawn = drawn_training_digits(split.x_train[: args.n_train], Path(args.cache) if args.cache else None)
    print(f"{len(drawn)} training digits drawn and prepared ({time.perf_counter() - start:.0f} s)")
    x = np.concatenate([split.x_train, drawn])
    y = np.concatenate([split.y_train, split.y_train[: args.n_train]])
    model, config = reader(args.reader, args.epochs)
    history = train(model, x, y, config, device=torch.device("cpu"))
    print(f"{args.reader}, {config.epochs} epochs on {len(x)} digits: {history.train_seconds:.0f} s")
    with np.load(args.sets) as f:
        pen, widths = f["(c) pen-drawn"], f["widths"]
    labels = split.y_test[: len(pen)]
    plain, right = correct(model, split.x_test[: len(pen)], labels), correct(model, pen, labels)
    print(f"  (a) plain 28x28: {100 * plain.mean():.2f}%\n  (c) pen-drawn: {100 * right.mean():.2f}%")
    print(pen_breakdown(right, widths, loops_filled(split.x_test[: len(pen)], labels), plain))


if __name__ == "__main__":
    main()
