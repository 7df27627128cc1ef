"""Benchmark: how well checkpoints read drawings of the seed split's test digits.

    MNIST_DATA_DIR=/path/to/mnist python -m bench.bench_drawings [--n 2000] [--checkpoint P ...]
        [--cache FILE.npz] [--no-thinning] [--pen-px 12 36]

For each checkpoint, prints accuracy on (a) the plain 28x28 test digits, (b) canvas-like drawings
(`canvas_like.py`: MNIST's own strokes blown up, thickened or thinned, per colouring; the whole
canvas squashed to 28x28 for comparison), and (c) pen-drawn digits (`pen_drawn.py`: each digit's
skeleton redrawn with one round pen 12-36 px wide). (b) and (c) go through `prepare`, as the app's
canvas and `predict` do. `--cache` keeps the prepared inputs in a file (made once, then read), so
more checkpoints can be compared on the very same drawings; `--no-thinning` measures `prepare`
without its thinning of marker strokes (`preprocess.thin_strokes`), to show what that step is worth;
`--pen-px 24 24` draws (c) with the page's own pen only (the same digits, sizes, tilts and places).
Pen-drawn accuracy is also given by the pen's width once the digit is fitted to the 20-px box, and
apart for the test digits whose loops MNIST's own pen had filled: redrawn from their skeleton, such an
8 has one loop or none. All three sets come from the seed split's test digits, never its training digits.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from bench.generators import canvas_like, pen_drawn
from mnist_core import preprocess
from mnist_core.checkpoints import default_checkpoint_path, load_checkpoint
from mnist_core.data import load_mnist, seed_split
from mnist_core.model import predict_proba
from mnist_core.preprocess import BOX, prepare, stroke_width, to_ink

WIDTH_BINS = (0, 2, 3, 4, 5, 6, 99)  # the pen's width in pixels of the 20-px box
LOOPS = {0: 1, 6: 1, 8: 2, 9: 1}  # a digit's loops, when written closed


def whole_canvas(image: np.ndarray) -> np.ndarray:
    ink = to_ink(image)
    return np.asarray(Image.fromarray(ink, mode="F").resize((28, 28), Image.Resampling.LANCZOS)).reshape(-1)


def correct(model, inputs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(N,) bool: which inputs the model reads as their labels."""
    return predict_proba(model, torch.from_numpy(np.asarray(inputs, np.float32))).argmax(1).numpy() == labels


def accuracy(model, inputs: np.ndarray, labels: np.ndarray) -> float:
    return float(correct(model, inputs, labels).mean())


def width_in_box(prepared) -> float:
    """The drawing's stroke width in pixels of the 20-px box, as `prepare` measures it."""
    return stroke_width(prepared.crop >= 0.5)[0] * BOX / max(prepared.crop.shape)


def loops_filled(digits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(N,) bool: a 0, 6, 8 or 9 with fewer holes than its loops, as `pen_drawn` sees it (4x, ink from 0.5)."""
    from scipy.ndimage import label

    holes = np.array([label(~np.pad(b, 1))[1] - 1 for b in pen_drawn.upsampled(digits)[:, 0].numpy()])
    return np.array([holes[i] < LOOPS.get(int(d), 0) for i, d in enumerate(labels)])


def pen_breakdown(right: np.ndarray, widths: np.ndarray, filled: np.ndarray, plain: np.ndarray) -> str:
    """Pen-drawn accuracy by pen width and by loops, `right` (N,) for the drawings, `plain` for the digits."""
    bins = np.digitize(widths, WIDTH_BINS) - 1
    parts = [f"{lo}-{hi if hi < 99 else ''} px {100 * right[bins == i].mean():.1f}% ({(bins == i).sum()})"
             for i, (lo, hi) in enumerate(zip(WIDTH_BINS, WIDTH_BINS[1:])) if (bins == i).any()]  # fmt: skip
    return (f"  (c) by pen width: {', '.join(parts)}\n  (c) loops open in the source digit: {100 * right[~filled].mean():.2f}% "
            f"({(~filled).sum()}; the plain digits: {100 * plain[~filled].mean():.2f}%); "
            f"a loop filled: {100 * right[filled].mean():.2f}% ({filled.sum()})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="test digits to draw (max 10000)")
    parser.add_argument("--checkpoint", nargs="+", default=None, help="default: the app's default checkpoint")
    parser.add_argument("--cache", help="an .npz of the prepared sets: read if it exists, else written")
    parser.add_argument("--no-thinning", action="store_true", help="prepare without thinning marker strokes")
    parser.add_argument("--pen-px", type=float, nargs=2, default=pen_drawn.PEN_PX, help="(c)'s pen widths, uniform")
    args = parser.parse_args()
    thinning = not args.no_thinning
    if not thinning:
        preprocess.thin_strokes = lambda crop: (crop, False)  # prepare looks it up at call time
    paths = [Path(p) for p in args.checkpoint] if args.checkpoint else [default_checkpoint_path()]
    models = {path.name: load_checkpoint(path).model for path in paths}
    split = seed_split(load_mnist())
    digits, labels = split.x_test[: args.n], split.y_test[: args.n]
    start = time.perf_counter()
    sets: dict[str, np.ndarray] = {}
    cached = Path(args.cache) if args.cache else None
    if cached is not None and cached.is_file():
        with np.load(cached) as f:
            sets = {key: f[key] for key in f.files if key not in ("thinning", "pen_px")}
            made_with = bool(f["thinning"]) if "thinning" in f.files else None
            pen_px = tuple(float(v) for v in f["pen_px"]) if "pen_px" in f.files else pen_drawn.PEN_PX  # older caches: the default pens
        assert all(len(x) == len(labels) for x in sets.values()), f"{cached} holds another --n"
        assert made_with == thinning, f"{cached} was made with thinning={made_with}"
        assert pen_px == tuple(args.pen_px), f"{cached} was drawn with pens of {pen_px} px"
    for colouring in canvas_like.COLOURINGS if not sets else ():
        canvases = canvas_like.drawings(digits, colouring)
        sets[f"(b) canvas-like {colouring}, whole canvas"] = np.stack([whole_canvas(c) for c in canvases])
        sets[f"(b) canvas-like {colouring}"] = np.stack([prepare(c).flat for c in canvases])
    if "(c) pen-drawn" not in sets:
        prepared = [prepare(c) for c in pen_drawn.drawings(digits, pen_px=tuple(args.pen_px))]
        sets["(c) pen-drawn"] = np.stack([p.flat for p in prepared])
        widths = np.array([width_in_box(p) for p in prepared])
        if cached is not None:
            np.savez_compressed(cached, **sets, widths=widths, thinning=np.array(thinning), pen_px=np.array(args.pen_px))
    else:
        widths = sets.pop("widths")
    filled = loops_filled(digits, labels)
    print(f"{len(labels)} test digits of the seed split{'' if thinning else ', prepared without thinning'}, "
          f"drawn and prepared in {time.perf_counter() - start:.0f} s")  # fmt: skip
    for name, model in models.items():
        plain_right = correct(model, digits, labels)
        plain = float(plain_right.mean())
        print(f"{name}:\n  (a) plain 28x28: {100 * plain:.2f}%")
        canvas = [accuracy(model, x, labels) for key, x in sets.items() if key.startswith("(b)") and "whole" not in key]
        for key, x in sets.items():
            acc = accuracy(model, x, labels)
            print(f"  {key}: {100 * acc:.2f}% ({100 * (acc - plain):+.2f} points)")
        print(f"  (b) canvas-like, all colourings: {100 * np.mean(canvas):.2f}%")
        print(pen_breakdown(correct(model, sets["(c) pen-drawn"], labels), widths, filled, plain_right))


if __name__ == "__main__":
    main()
