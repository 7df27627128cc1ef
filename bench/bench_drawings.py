"""Benchmark: how well checkpoints read drawings of the seed split's test digits.

    MNIST_DATA_DIR=../shared/data/mnist python bench/bench_drawings.py [--n 2000] [--checkpoint P ...]
        [--cache FILE.npz] [--normalise-strokes]

For each checkpoint, prints accuracy on (a) the plain 28x28 test digits, (b) canvas-like drawings
(`canvas_like.py`: MNIST's own strokes blown up, thickened or thinned, per colouring; the whole
canvas squashed to 28x28 for comparison), and (c) pen-drawn digits (`pen_drawn.py`: each digit's
skeleton redrawn with one round pen 12-36 px wide). (b) and (c) go through `prepare`, as the app's
canvas and `predict` do. `--cache` keeps the prepared inputs in a file (made once, then read), so
more checkpoints can be compared on the very same drawings; `--normalise-strokes` tries the
stroke-width normalisation of `stroke_width.py` in `prepare` (an experiment, not what the app does).
All three sets come from the seed split's test digits, never its training digits.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import canvas_like  # noqa: E402
import pen_drawn  # noqa: E402

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
    parser.add_argument("--checkpoint", nargs="+", default=None, help="default: the app's default checkpoint")
    parser.add_argument("--cache", help="an .npz of the prepared sets: read if it exists, else written")
    parser.add_argument("--normalise-strokes", action="store_true", help="see stroke_width.py")
    args = parser.parse_args()
    if args.normalise_strokes:
        import stroke_width

        stroke_width.install()
    paths = [Path(p) for p in args.checkpoint] if args.checkpoint else [default_checkpoint_path()]
    models = {path.name: load_checkpoint(path).model for path in paths}
    split = seed_split(load_mnist())
    digits, labels = split.x_test[: args.n], split.y_test[: args.n]
    start = time.perf_counter()
    sets: dict[str, np.ndarray] = {}
    cached = Path(args.cache) if args.cache else None
    if cached is not None and cached.is_file():
        with np.load(cached) as f:
            sets = {key: f[key] for key in f.files if key != "normalise_strokes"}
            made_with = bool(f["normalise_strokes"])
        assert all(len(x) == len(labels) for x in sets.values()), f"{cached} holds another --n"
        assert made_with == args.normalise_strokes, f"{cached} was made with normalise_strokes={made_with}"
    for colouring in canvas_like.COLOURINGS if not sets else ():
        canvases = canvas_like.drawings(digits, colouring)
        sets[f"(b) canvas-like {colouring}, whole canvas"] = np.stack([whole_canvas(c) for c in canvases])
        sets[f"(b) canvas-like {colouring}"] = np.stack([prepare(c).flat for c in canvases])
    if "(c) pen-drawn" not in sets:
        sets["(c) pen-drawn"] = np.stack([prepare(c).flat for c in pen_drawn.drawings(digits)])
        if cached is not None:
            np.savez_compressed(cached, **sets, normalise_strokes=np.array(args.normalise_strokes))
    print(f"{len(labels)} test digits of the seed split{', strokes normalised' if args.normalise_strokes else ''}, "
          f"drawn and prepared in {time.perf_counter() - start:.0f} s")  # fmt: skip
    for name, model in models.items():
        plain = accuracy(model, digits, labels)
        print(f"{name}:\n  (a) plain 28x28: {100 * plain:.2f}%")
        canvas = [accuracy(model, x, labels) for key, x in sets.items() if key.startswith("(b)") and "whole" not in key]
        for key, x in sets.items():
            acc = accuracy(model, x, labels)
            print(f"  {key}: {100 * acc:.2f}% ({100 * (acc - plain):+.2f} points)")
        print(f"  (b) canvas-like, all colourings: {100 * np.mean(canvas):.2f}%")


if __name__ == "__main__":
    main()
