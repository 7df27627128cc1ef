"""Benchmark: every computation and figure of the lesson, evaluation and inside views, against the
300 ms budget a warm view has, for the tutorial network and the 1024-1024 best network.

    MNIST_DATA_DIR=/path/to/mnist python -m bench.bench_inside [--repeats 20] [--threads N]

Each row is the median over `--repeats` calls after one warm-up call, on test image 2018 (the
tutorial's) of the seed split. Wall time and the process's CPU time are both printed: on a busy
machine wall time includes waiting for a core, CPU time does not. Figures are timed to PNG bytes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import torch

from mnist_app.components import figures, maps
from mnist_core import evaluation, inside
from mnist_core.checkpoints import load_checkpoint
from mnist_core.config import CHECKPOINT_DIR, ModelConfig
from mnist_core.data import load_mnist, seed_split
from mnist_core.experiment import transform_digit
from mnist_core.model import predict_proba
from mnist_core.train import new_model

BUDGET_MS = 300.0
INDEX = 2018


def timed(fn, repeats: int) -> tuple[float, float]:
    """(median wall ms, median CPU ms) of fn() over `repeats` calls, after one warm-up call."""
    fn()
    wall, cpu = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return statistics.median(wall) * 1000, statistics.median(cpu) * 1000


def test_probabilities(model, x_test: np.ndarray) -> np.ndarray:
    chunks = [predict_proba(model, torch.from_numpy(x_test[i : i + 2000])) for i in range(0, len(x_test), 2000)]
    return torch.cat(chunks).numpy()  # (10000, 10)


def model_cases(name: str, model, split, probs: np.ndarray) -> dict:
    """The views that depend on one network: label -> a function computing what the view shows."""
    x, y = split.x_test[INDEX], split.y_test
    x28 = x.reshape(28, 28)
    trace = inside.forward_trace(model, x)
    last = len(trace.hidden) - 1
    templates = inside.first_layer_templates(model)
    units = inside.strongest_units(model, 100 if len(templates) <= 100 else 50)
    mistakes = evaluation.errors(probs, y)
    wrong = zip(mistakes.true[:24], mistakes.predicted[:24], mistakes.confidence[:24])
    captions = [f"{t} → {p} ({100 * c:.0f}%)" for t, p, c in wrong]

    def bench_view():  # one slider move: transform, then the ten probabilities
        moved = transform_digit(x28, shift=(2, -1), rotate_deg=15, scale=1.1, thickness=1, noise=0.1, seed=3)
        return inside.forward_trace(model, moved).probs

    def inside_view():  # a drawing's activations, top units and their pictures, contributions, saliency
        t = inside.forward_trace(model, x)
        tops = [inside.top_units(t, layer, 8) for layer in range(len(t.hidden))]
        pictures = [inside.local_templates(model, t, layer, top) for layer, top in enumerate(tops)]
        return pictures, inside.contributions(model, t), inside.saliency(model, x, t.predicted)

    def evaluation_view():
        return evaluation.errors(probs, y), evaluation.per_class_accuracy(evaluation.confusion(probs, y))

    def confusion_png():
        matrix = evaluation.confusion(probs, y)
        return figures.to_png(figures.confusion_figure(matrix, title="혼동 행렬", xlabel="예측", ylabel="정답"))

    def saliency_png():
        return maps.png(maps.saliency_picture(x28, inside.saliency(model, x, trace.predicted)))

    return {
        f"{name}: test probabilities, 10000 images (once per model)": lambda: test_probabilities(model, split.x_test),
        f"{name}: forward_trace": lambda: inside.forward_trace(model, x),
        f"{name}: top_units, every layer": lambda: [inside.top_units(trace, i, 8) for i in range(len(trace.hidden))],
        f"{name}: contributions": lambda: inside.contributions(model, trace),
        f"{name}: saliency": lambda: inside.saliency(model, x, trace.predicted),
        f"{name}: local_templates, 8 top units of the last layer": lambda: inside.local_templates(
            model, trace, last, inside.top_units(trace, last, 8)),
        f"{name}: local_templates, all units of the last layer": lambda: inside.local_templates(model, trace, last),
        f"{name}: templates + strongest_units": lambda: (templates.copy(), inside.strongest_units(model, 50)),
        f"{name}: inside view (all of the above)": inside_view,
        f"{name}: bench view (transform + trace)": bench_view,
        f"{name}: errors + confusion + per-class": evaluation_view,
        f"{name}: templates ({len(units)}) to PNG": lambda: maps.png(maps.templates_mosaic(templates, units)),
        f"{name}: saliency to PNG": saliency_png,
        f"{name}: layers' activation grids to PNG": lambda: [maps.png(maps.activation_grid(h)) for h in trace.hidden],
        f"{name}: figure confusion matrix to PNG": confusion_png,
        f"{name}: figure 24 mistakes to PNG": lambda: figures.to_png(
            figures.gallery_figure(split.x_test[mistakes.index[:24]], captions, 8, "틀린 숫자")),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's own)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    split = seed_split(load_mnist())
    x, y = split.x_test[INDEX], split.y_test
    models = {name: load_checkpoint(CHECKPOINT_DIR / f"{name}.pt").model for name in ("tutorial", "best_mlp")}
    probs = {}
    cases: dict = {}
    for name, model in models.items():
        start = time.perf_counter()
        probs[name] = test_probabilities(model, split.x_test)
        print(f"{name}: 10000 test probabilities in {1000 * (time.perf_counter() - start):.0f} ms (cold)")
        cases |= model_cases(name, model, split, probs[name])
    untrained = new_model(ModelConfig(), 0, torch.device("cpu")).eval()
    trio = (untrained, *models.values())
    cases["three networks on one digit (untrained, tutorial, best)"] = lambda: [inside.forward_trace(m, x) for m in trio]
    cases["compare tutorial vs best (10000 images)"] = lambda: evaluation.compare(*probs.values(), y)
    cases["figure digit (tutorial's imshow) to PNG"] = lambda: figures.to_png(figures.digit_figure(x, "레이블은 2"))
    load_before = os.getloadavg()[0]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs; "
          f"median of {args.repeats}; test image {INDEX} (label {y[INDEX]})")  # fmt: skip
    print(f"{'what':62} {'wall ms':>8} {'cpu ms':>8}  budget")
    for label, fn in cases.items():
        wall, cpu = timed(fn, args.repeats)
        verdict = "ok" if wall < BUDGET_MS else "over (cached per model)" if "once per model" in label else "OVER"
        print(f"{label:62} {wall:8.1f} {cpu:8.1f}  {verdict}")
    print(f"load average (1 min): {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")


if __name__ == "__main__":
    main()
