"""Benchmark: every computation and figure of the lesson, evaluation and inside views, against the
300 ms budget a warm view has, for the tutorial network and the 1024-1024 best network.

    MNIST_DATA_DIR=../shared/data/mnist python bench/bench_inside.py [--repeats 20] [--threads N]

Each row is the median over `--repeats` calls after one warm-up call, on test image 2018 (the
tutorial's) of the seed split. Wall time and the process's CPU time are both printed: on a busy
machine wall time includes waiting for a core, CPU time does not. Figures are timed to PNG bytes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from mnist_app.components import figures  # noqa: E402
from mnist_core import evaluation, inside  # noqa: E402
from mnist_core.checkpoints import CHECKPOINT_DIR, load_checkpoint  # noqa: E402
from mnist_core.data import load_mnist, seed_split  # noqa: E402
from mnist_core.experiment import transform_digit  # noqa: E402
from mnist_core.model import ModelConfig, predict_proba  # noqa: E402
from mnist_core.train import new_model  # noqa: E402

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
    return np.concatenate([predict_proba(model, torch.from_numpy(x_test[i : i + 2000])).numpy() for i in range(0, len(x_test), 2000)])


def model_cases(name: str, model, x: np.ndarray, probs: np.ndarray, y: np.ndarray) -> dict:
    """The views that depend on one network: name -> a function computing what the view shows."""
    x28 = x.reshape(28, 28)
    trace = inside.forward_trace(model, x)
    templates = inside.first_layer_templates(model)
    hidden = templates.shape[0]

    def bench_view():  # one slider move: transform, then the ten probabilities
        moved = transform_digit(x28, shift=(2, -1), rotate_deg=15, scale=1.1, thickness=1, noise=0.1, seed=3)
        return inside.forward_trace(model, moved).probs

    def inside_view():  # a drawing's activations, top units, contributions and saliency
        t = inside.forward_trace(model, x)
        tops = [inside.top_units(t, layer, 8) for layer in range(len(t.hidden))]
        pictures = [inside.local_templates(model, t, layer, top) for layer, top in enumerate(tops)]
        return pictures, inside.contributions(model, t), inside.saliency(model, x, t.predicted)

    units = inside.strongest_units(model, 100 if hidden <= 100 else 50)
    mistakes = evaluation.errors(probs, y)
    captions = [f"{t} → {p} ({100 * c:.0f}%)" for t, p, c in zip(mistakes.true[:24], mistakes.predicted[:24], mistakes.confidence[:24])]
    return {
        f"{name}: forward_trace": lambda: inside.forward_trace(model, x),
        f"{name}: top_units, every layer": lambda: [inside.top_units(trace, i, 8) for i in range(len(trace.hidden))],
        f"{name}: contributions": lambda: inside.contributions(model, trace),
        f"{name}: saliency": lambda: inside.saliency(model, x, trace.predicted),
        f"{name}: local_templates, 8 top units of the last layer": lambda: inside.local_templates(
            model, trace, len(trace.hidden) - 1, inside.top_units(trace, len(trace.hidden) - 1, 8)),
        f"{name}: local_templates, all units of the last layer": lambda: inside.local_templates(model, trace, len(trace.hidden) - 1),
        f"{name}: templates + strongest_units": lambda: (inside.first_layer_templates(model), inside.strongest_units(model, 50)),
        f"{name}: inside view (all of the above)": inside_view,
        f"{name}: bench view (transform + trace)": bench_view,
        f"{name}: errors + confusion + per-class": lambda: (
            evaluation.errors(probs, y), evaluation.per_class_accuracy(evaluation.confusion(probs, y))),
        f"{name}: figure templates ({len(units)}) to PNG": lambda: figures.to_png(figures.templates_figure(templates, units, 10, "첫 층의 가중치")),
        f"{name}: figure saliency to PNG": lambda: figures.to_png(
            figures.saliency_figure(x28, inside.saliency(model, x, trace.predicted), "기울기 × 입력")),
        f"{name}: figure confusion matrix to PNG": lambda: figures.to_png(
            figures.confusion_figure(evaluation.confusion(probs, y), title="혼동 행렬", xlabel="예측", ylabel="정답")),
        f"{name}: figure 24 mistakes to PNG": lambda: figures.to_png(figures.gallery_figure(x_test_of(mistakes.index[:24]), captions, 8, "틀린 숫자")),
    }  # fmt: skip


X_TEST: np.ndarray | None = None


def x_test_of(indices: np.ndarray) -> np.ndarray:
    return X_TEST[indices]


def main() -> None:
    global X_TEST
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's own)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    split = seed_split(load_mnist())
    X_TEST, y = split.x_test, split.y_test
    x = split.x_test[INDEX]
    models = {name: load_checkpoint(CHECKPOINT_DIR / f"{name}.pt").model for name in ("tutorial", "best_mlp")}
    untrained = new_model(ModelConfig(), 0, torch.device("cpu")).eval()
    cases: dict = {}
    for name, model in models.items():
        start = time.perf_counter()
        probs = test_probabilities(model, split.x_test)
        cases[f"{name}: test probabilities, 10000 images (once per model)"] = lambda m=model: test_probabilities(m, split.x_test)
        print(f"{name}: 10000 test probabilities in {1000 * (time.perf_counter() - start):.0f} ms (cold)")
        cases |= model_cases(name, model, x, probs, y)
    tutorial_probs, best_probs = (test_probabilities(m, split.x_test) for m in models.values())
    trio = (untrained, *models.values())
    cases["three networks on one digit (untrained, tutorial, best)"] = lambda: [inside.forward_trace(m, x).probs for m in trio]
    cases["compare tutorial vs best (10000 images)"] = lambda: evaluation.compare(tutorial_probs, best_probs, y)
    cases["figure digit (tutorial's imshow) to PNG"] = lambda: figures.to_png(figures.digit_figure(x, "이 이미지 데이터의 레이블은 2"))
    load_before = os.getloadavg()[0]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs; "
          f"median of {args.repeats}; test image {INDEX} (label {y[INDEX]})")  # fmt: skip
    print(f"{'what':62} {'wall ms':>8} {'cpu ms':>8}  budget")
    for label, fn in cases.items():
        wall, cpu = timed(fn, args.repeats)
        verdict = "ok" if wall < BUDGET_MS else ("over (once per model, cached)" if "once per model" in label else "OVER")
        print(f"{label:62} {wall:8.1f} {cpu:8.1f}  {verdict}")
    print(f"load average (1 min): {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")


if __name__ == "__main__":
    main()
