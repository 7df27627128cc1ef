"""mnist_core.estimate: a training's duration told before it starts. The cost model is fitted by
bench/bench_steps.py (measured step times within 0.6x-1.3x of the model on this 2-core machine, idle);
here real runs of a small and a large network must stand in the ratio it predicts, within 2x."""

from __future__ import annotations

import time

import numpy as np
import torch

from mnist_core.estimate import step_seconds, training_seconds, weights
from mnist_core.model import ModelConfig, build_mlp
from mnist_core.train import TrainConfig, new_model, train


def test_weights_are_the_networks_parameters():
    for hidden in ((100, 100), (7,), (64, 32, 16)):
        model = build_mlp(ModelConfig(hidden=hidden))
        assert weights(ModelConfig(hidden=hidden)) == sum(p.numel() for p in model.parameters())
    assert weights(ModelConfig()) == 89_610  # the tutorial's network


def test_longer_wider_and_smaller_batches_take_longer():
    base = training_seconds(ModelConfig(), TrainConfig())
    assert training_seconds(ModelConfig(), TrainConfig(epochs=6)) > 1.9 * base
    assert training_seconds(ModelConfig(hidden=(1024, 1024)), TrainConfig()) > 5 * base
    assert step_seconds(ModelConfig(), 16) < step_seconds(ModelConfig(), 256)  # a step, larger batch: longer
    assert training_seconds(ModelConfig(), TrainConfig(batch_size=16)) > base  # an epoch, more steps: longer


def measured_step(hidden: tuple[int, ...], batch: int, steps: int = 20) -> float:
    n = steps * batch
    x = np.random.default_rng(0).random((n, 784), dtype=np.float32)
    y = np.random.default_rng(1).integers(0, 10, n)
    model = new_model(ModelConfig(hidden=hidden), 0, torch.device("cpu"))
    train(model, x[:batch], y[:batch], TrainConfig(epochs=1, batch_size=batch), device=torch.device("cpu"))  # warm up
    start = time.perf_counter()
    train(model, x, y, TrainConfig(epochs=1, batch_size=batch), device=torch.device("cpu"))
    return (time.perf_counter() - start) / steps


def test_the_model_orders_and_scales_real_runs():
    """Relative, not absolute: a busy machine slows both runs alike, while a wrong model of cost (say,
    one blind to the width) misjudges their ratio. The absolute fit is bench/bench_steps.py's."""
    small, big = ((100, 100), 64), ((1024, 1024), 128)
    measured = measured_step(*big) / measured_step(*small)
    estimated = step_seconds(ModelConfig(hidden=big[0]), big[1]) / step_seconds(ModelConfig(hidden=small[0]), small[1])
    assert estimated / 2 < measured < 2 * estimated, (measured, estimated)
