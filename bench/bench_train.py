"""Benchmark: the tutorial's own training loop against mnist_core's trainer, in one run, same data.

    MNIST_DATA_DIR=/path/to/mnist python -m bench.bench_train [--seeds 0 1 2 3 4] [--repeats 1] [--threads N]

For each seed, the tutorial's loop and then mnist_core's (3 epochs, batch 64, Adam lr 0.01, shuffled,
784-100-100-10: the tutorial's hyperparameters), back to back so that both see the same load. Prints
each loop's wall time and test accuracy, the ratio of the summed times (the target: <= 0.5x), each
loop's mean accuracy over the seeds and whether the accuracy rule holds (mnist_core's mean within
0.2 points of the tutorial's, no seed of mnist_core's below 95.0%), then the warm data-load time
and the latency of one prediction from a canvas-sized drawing. The load average is printed at the
start and the end: on a shared machine the times are only comparable within one run. With
--repeats N each pair runs N times, the fastest time of each loop counts (the least disturbed by
other jobs), and the accuracies of the N runs must be equal (training is deterministic).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from mnist_core.config import ModelConfig, TrainConfig
from mnist_core.data import load_mnist, seed_split
from mnist_core.model import predict_proba
from mnist_core.preprocess import prepare
from mnist_core.run import run_training
from mnist_core.train import evaluate, new_model


def tutorial_loop(split, seed: int) -> tuple[float, float]:
    """The tutorial's cells, verbatim in substance: TensorDataset, DataLoader, Adam, 3 epochs."""
    torch.manual_seed(seed)
    X_train, y_train = torch.Tensor(split.x_train), torch.LongTensor(split.y_train)
    loader_train = DataLoader(TensorDataset(X_train, y_train), batch_size=64, shuffle=True)
    model = nn.Sequential()
    model.add_module("fc1", nn.Linear(28 * 28 * 1, 100))
    model.add_module("relu1", nn.ReLU())
    model.add_module("fc2", nn.Linear(100, 100))
    model.add_module("relu2", nn.ReLU())
    model.add_module("fc3", nn.Linear(100, 10))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    start = time.perf_counter()
    for _epoch in range(3):
        model.train()
        for data, targets in loader_train:
            optimizer.zero_grad()
            outputs = model(data)
            loss = loss_fn(outputs, targets)
            loss.backward()
            optimizer.step()
    seconds = time.perf_counter() - start
    model.eval()
    accuracy = evaluate(model, split.x_test, split.y_test, device=torch.device("cpu")).accuracy
    return seconds, accuracy


def core_loop(split, seed: int) -> tuple[float, float]:
    result = run_training(ModelConfig(), TrainConfig(seed=seed), split, device=torch.device("cpu"))
    return result.train_seconds, result.after.accuracy


def prediction_latency(model_seed: int = 0, n: int = 50) -> float:
    """Median seconds for one 280x280 RGBA drawing -> preprocessing -> probabilities."""
    canvas = np.zeros((280, 280, 4), np.uint8)
    canvas[..., 3] = 255
    canvas[60:220, 130:150, :3] = 255  # a thick vertical stroke: a "1"
    model = new_model(ModelConfig(), model_seed, torch.device("cpu")).eval()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        predict_proba(model, torch.from_numpy(prepare(canvas).flat[None]))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


TARGET_RATIO = 0.5  # the goal: mnist_core's loop in at most half the tutorial's time
MEAN_TOLERANCE = 0.002  # mnist_core's mean accuracy within 0.2 points of the tutorial's ...
SEED_FLOOR = 0.950  # ... and none of its seeds below 95.0%


def load_average() -> str:
    return "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg()) + f" on {os.cpu_count()} CPUs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--repeats", type=int, default=1, help="runs of each pair; the fastest counts")
    parser.add_argument("--threads", type=int, help="torch threads for both loops (default: torch's)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    load_mnist()  # fill the parsed-array cache
    start = time.perf_counter()
    mnist = load_mnist()
    load_seconds = time.perf_counter() - start
    split = seed_split(mnist)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; data: {mnist.source}")
    print(f"start: {load_average()}")
    tutorial, core = {}, {}
    for seed in args.seeds:
        runs = [(tutorial_loop(split, seed), core_loop(split, seed)) for _ in range(args.repeats)]
        for name, results in (("tutorial loop", [t for t, _ in runs]), ("mnist_core", [c for _, c in runs])):
            if len({a for _, a in results}) != 1:
                print(f"seed {seed}: {name} NOT deterministic: accuracies {[a for _, a in results]}")
        tutorial[seed] = min(t for t, _ in runs)
        core[seed] = min(c for _, c in runs)
        (t_seconds, t_acc), (c_seconds, c_acc) = tutorial[seed], core[seed]
        print(f"seed {seed}: tutorial loop {t_seconds:5.2f} s {100 * t_acc:.2f}% | "
              f"mnist_core {c_seconds:5.2f} s {100 * c_acc:.2f}% | ratio {c_seconds / t_seconds:.2f}x", flush=True)  # fmt: skip
    print(f"end: {load_average()}")
    t_total, c_total = sum(s for s, _ in tutorial.values()), sum(s for s, _ in core.values())
    ratio = c_total / t_total
    print(f"total: tutorial loop {t_total:.2f} s, mnist_core {c_total:.2f} s, ratio {ratio:.2f}x "
          f"(target <= {TARGET_RATIO}x: {'met' if ratio <= TARGET_RATIO else 'NOT met'})")  # fmt: skip
    t_mean = statistics.mean(a for _, a in tutorial.values())
    c_mean = statistics.mean(a for _, a in core.values())
    c_min = min(a for _, a in core.values())
    ok = abs(c_mean - t_mean) <= MEAN_TOLERANCE + 1e-9 and c_min >= SEED_FLOOR
    print(f"mean accuracy over seeds {' '.join(map(str, args.seeds))}: tutorial loop {100 * t_mean:.2f}%, "
          f"mnist_core {100 * c_mean:.2f}% (difference {100 * (c_mean - t_mean):+.2f} points); "
          f"lowest mnist_core seed {100 * c_min:.2f}%; accuracy rule {'met' if ok else 'NOT met'}")  # fmt: skip
    print(f"warm data load: {load_seconds * 1000:.0f} ms")
    print(f"one prediction (280x280 drawing -> probabilities): {prediction_latency() * 1000:.1f} ms median")


if __name__ == "__main__":
    main()
