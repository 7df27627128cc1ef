"""mnist_core.estimate: a training's duration told before it starts. How close it comes to measured
runs is bench/bench_steps.py's to say (timings are benchmarks here, not tests: a busy CI machine
slows small networks' Python-bound steps far more than large ones'); these check its shape."""

from __future__ import annotations

from mnist_core.config import ModelConfig, TrainConfig
from mnist_core.estimate import step_seconds, training_seconds, weights
from mnist_core.model import build_mlp


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
