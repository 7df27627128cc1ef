"""Benchmark: seconds per training step for a range of networks and batch sizes, and the fitted cost
model that `mnist_core.estimate` uses to tell how long a training will take before it starts.

    python -m bench.bench_steps [--steps 60]

Fits  step = c0 + c1 * batch * weights + c2 * weights  by least squares over the configurations (c0:
Python and dispatch per step, c1: the matrix products, forward and backward, c2: Adam's update), and
prints the constants and each configuration's measured against its estimated step time. Run it on
an otherwise idle machine, with the thread count the server trains with.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from scipy.optimize import nnls

from mnist_core.config import ModelConfig, TrainConfig
from mnist_core.estimate import STEP_COSTS, step_seconds, weights
from mnist_core.train import new_model, train

CONFIGS = [((100, 100), 64), ((100, 100), 256), ((100,), 16), ((512,), 32), ((1024, 1024), 128),
           ((1024, 1024), 32), ((2048, 2048), 256), ((256, 256, 256), 64), ((4096,), 512)]  # fmt: skip


def measure(hidden: tuple[int, ...], batch: int, steps: int) -> float:
    """Median seconds per step of `train` on random data, after one warm-up epoch of a few steps."""
    x = np.random.default_rng(0).random((batch * steps, 784), dtype=np.float32)
    y = np.random.default_rng(1).integers(0, 10, batch * steps)
    model = new_model(ModelConfig(hidden=hidden), 0, torch.device("cpu"))
    train(model, x[: batch * 5], y[: batch * 5], TrainConfig(epochs=1, batch_size=batch), device=torch.device("cpu"))
    times = []
    for _ in range(3):
        start = time.perf_counter()
        train(model, x, y, TrainConfig(epochs=1, batch_size=batch), device=torch.device("cpu"))
        times.append((time.perf_counter() - start) / steps)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    rows = []
    for hidden, batch in CONFIGS:
        seconds = measure(hidden, batch, args.steps)
        rows.append((hidden, batch, seconds))
        print(f"{str(list(hidden)):>20} batch {batch:>4}: {1000 * seconds:8.2f} ms/step measured, "
              f"{1000 * step_seconds(ModelConfig(hidden=hidden), batch):8.2f} ms/step estimated")  # fmt: skip
    a = np.array([[1.0, b * weights(ModelConfig(hidden=h)), weights(ModelConfig(hidden=h))] for h, b, _ in rows])
    measured = np.array([s for _, _, s in rows])
    fit, _ = nnls(a / measured[:, None], np.ones(len(rows)))  # relative errors, non-negative costs
    print(f"fitted: c0={fit[0]:.3e} s, c1={fit[1]:.3e} s per sample-weight, c2={fit[2]:.3e} s per weight")
    print(f"in use: c0={STEP_COSTS[0]:.3e}, c1={STEP_COSTS[1]:.3e}, c2={STEP_COSTS[2]:.3e}")


if __name__ == "__main__":
    main()
