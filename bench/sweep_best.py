"""Benchmark: candidate recipes for the best MLP, each trained once and read on plain, canvas-like and pen-drawn digits.

    MNIST_DATA_DIR=../shared/data/mnist python bench/sweep_best.py --sets drawings.npz \
        --recipe '{"name": "no clean epochs", "clean_epochs": 0}' [--recipe ...] [--device cpu]

`--sets` is the cache `bench_drawings.py --cache` writes (the seed split's test digits drawn two
ways, prepared as the canvas does). A recipe is `--preset best` with fields replaced: any
TrainConfig or ModelConfig field (`hidden`, `pen_width` as lists).
Prints one JSON line per recipe: test accuracy on the 10000 test images, on the drawn sets, and the
training loop's seconds on this device. Run on a GPU and on the 2-core CPU to choose the recipe; the
shipped checkpoint is then trained by `python -m mnist_core train --preset best` (README).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from mnist_core.data import load_mnist, seed_split  # noqa: E402
from mnist_core.model import predict_proba  # noqa: E402
from mnist_core.presets import PRESETS  # noqa: E402
from mnist_core.train import new_model, train  # noqa: E402


def configs(recipe: dict):
    model_config, train_config = PRESETS["best"]
    fields = {k: tuple(v) if isinstance(v, list) else v for k, v in recipe.items() if k != "name"}
    model_fields = {k: v for k, v in fields.items() if k in {f.name for f in dataclasses.fields(model_config)}}
    train_fields = {k: v for k, v in fields.items() if k not in model_fields}
    return dataclasses.replace(model_config, **model_fields), dataclasses.replace(train_config, **train_fields)


def accuracy(model, x: np.ndarray, y: np.ndarray, device) -> float:
    probs = predict_proba(model.float(), torch.as_tensor(np.asarray(x, np.float32), device=device))
    return float((probs.argmax(1).cpu().numpy() == y).mean())


def run(recipe: dict, split, sets: dict, device) -> dict:
    model_config, train_config = configs(recipe)
    model = new_model(model_config, train_config.seed, device)
    history = train(model, split.x_train, split.y_train, train_config, device=device)
    result = {"recipe": recipe, "seconds": round(history.train_seconds, 1), "test": accuracy(model, split.x_test, split.y_test, device)}
    n = len(next(iter(sets.values())))
    for name, x in sets.items():
        result[name] = accuracy(model, x, split.y_test[:n], device)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", required=True, help="bench_drawings.py's --cache file")
    parser.add_argument("--recipe", action="append", required=True, help="JSON: fields of --preset best to replace")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--limit", type=int, default=None, help="train on the first N training digits (a smoke test)")
    args = parser.parse_args()
    split = seed_split(load_mnist())
    if args.limit:
        split = dataclasses.replace(split, x_train=split.x_train[: args.limit], y_train=split.y_train[: args.limit])
    with np.load(args.sets) as f:
        sets = {k: f[k] for k in f.files if k == "(c) pen-drawn" or k == "(b) canvas-like white_on_black"}
    for text in args.recipe:
        print(json.dumps(run(json.loads(text), split, sets, torch.device(args.device))), flush=True)


if __name__ == "__main__":
    main()
