"""A training's network at one step, small enough to store a few times an epoch: the first layer's
weights (a page of templates) as float16, what it reads on a fixed handful of test digits, and its
confusion matrix on a fixed slice of the test images.

Taken between two optimisation steps from the model being trained (the hand-written Adam step keeps
the model's parameters as views of its buffer, so they are the current weights). The forward passes
run in eval mode under no_grad, and the model goes back to training mode: dropout is off for the
look, the training's random draws are untouched. Costs, measured with bench/bench_retrain.py's live
part: see docs/benchmarks.md. No streamlit here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

ROWS = 64  # first-layer units kept: a page of templates (8 x 8); 64 x 784 float16 = 100 KB
# Test images the confusion matrix is counted on: their forward pass is most of a snapshot's cost
# (2000 took 18 ms of a snapshot's 24 ms on one busy core); 1000 give ~100 a digit, enough to see.
PROBE = 1000
FIXED = 10  # the handful of test digits whose predictions are shown: the first of each digit


@dataclass(frozen=True)
class Snapshot:
    step: int
    epoch: float
    weights: np.ndarray  # (rows, 784) float16
    predictions: list[int]  # of the fixed digits
    confusion: list[list[int]]  # 10x10, rows = true digit

    def weight_bytes(self) -> bytes:
        return self.weights.astype("<f2").tobytes()


def fixed_digits(y_test: np.ndarray, n: int = FIXED) -> np.ndarray:
    """Indices of the first test image of each digit (the same for every training on the split)."""
    firsts = [int(np.flatnonzero(y_test == d)[0]) for d in range(10) if np.any(y_test == d)]
    return np.array(firsts[:n], np.int64)


def decode(weights: bytes, rows: int) -> np.ndarray:
    """Stored weights -> (rows, 784) float32."""
    return np.frombuffer(weights, "<f2").reshape(rows, 784).astype(np.float32)


class Camera:
    """Takes snapshots of one model on one split's fixed digits and probe slice."""

    def __init__(self, x_test: np.ndarray, y_test: np.ndarray, rows: int = ROWS):
        fixed = fixed_digits(y_test)
        self.fixed = torch.as_tensor(np.array(x_test[fixed]), dtype=torch.float32)
        self.probe = torch.as_tensor(np.array(x_test[:PROBE]), dtype=torch.float32)
        self.probe_y = np.asarray(y_test[:PROBE], np.int64)
        self.rows = rows

    @torch.no_grad()
    def take(self, model: nn.Module, step: int, epoch: float) -> Snapshot:
        first = next(m for m in model.modules() if isinstance(m, nn.Linear))
        weights = first.weight[: self.rows].detach().cpu().numpy().astype(np.float16)
        training = model.training
        model.eval()
        try:
            device = first.weight.device
            predicted = model(self.fixed.to(device)).argmax(1).cpu().tolist()
            read = model(self.probe.to(device)).argmax(1).cpu().numpy()
        finally:
            model.train(training)
        counts = np.bincount(self.probe_y * 10 + read, minlength=100).reshape(10, 10)
        return Snapshot(step, float(epoch), weights, predicted, counts.tolist())
