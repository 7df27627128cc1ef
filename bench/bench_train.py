"""Benchmark: the tutorial's own training loop against mnist_core's trainer, in one run, same data.

    MNIST_DATA_DIR=../shared/data/mnist python bench/bench_train.py [--repeats 1]

Prints the wall time of each training loop (3 epochs, batch 64, Adam lr 0.01: the tutorial's
hyperparameters), their ratio, both test accuracies, the warm data-load time and the latency of one
prediction from a canvas-sized drawing. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from mnist_core.data import load_mnist, seed_split  # noqa: E402
from mnist_core.model import ModelConfig, predict_proba  # noqa: E402
from mnist_core.preprocess import prepare  # noqa: E402
from mnist_core.run import run_training  # noqa: E402
from mnist_core.train import TrainConfig, evaluate, new_model  # noqa: E402


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    load_mnist()  # fill the parsed-array cache
    start = time.perf_counter()
    mnist = load_mnist()
    load_seconds = time.perf_counter() - start
    split = seed_split(mnist)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; data: {mnist.source}")
    print(f"warm data load: {load_seconds * 1000:.0f} ms")
    for r in range(args.repeats):
        t_seconds, t_acc = tutorial_loop(split, args.seed + r)
        c_seconds, c_acc = core_loop(split, args.seed + r)
        print(f"run {r + 1}: tutorial loop {t_seconds:.2f} s, accuracy {100 * t_acc:.2f}%")
        print(f"run {r + 1}: mnist_core    {c_seconds:.2f} s, accuracy {100 * c_acc:.2f}%")
        print(f"run {r + 1}: ratio mnist_core / tutorial = {c_seconds / t_seconds:.2f}x")
    print(f"one prediction (280x280 drawing -> probabilities): {prediction_latency() * 1000:.1f} ms median")


if __name__ == "__main__":
    main()
