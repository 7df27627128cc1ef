"""How long a training will take, told before it starts, from the network's size, the batch size and
the epochs: a cost model fitted to measured step times (bench/bench_steps.py)."""

from __future__ import annotations

import math

from .config import N_CLASSES, N_INPUTS, ModelConfig, TrainConfig

N_TRAIN, N_TEST = 60_000, 10_000
# step = c0 + c1 * batch * weights + c2 * weights, in seconds. Fitted by bench/bench_steps.py on this
# project's 2-core CPU machine (torch 2.13.0, 2 threads): c0 = Python and dispatch per step, c1 = the
# matrix products forward and backward, c2 = Adam's update of every weight.
STEP_COSTS = (5.8e-4, 2.99e-11, 2.95e-9)
EVAL_FACTOR = 1 / 3  # a forward pass alone is about a third of a training step's products


def weights(model_config: ModelConfig) -> int:
    """Weights and biases of the MLP."""
    sizes = (N_INPUTS, *model_config.hidden, N_CLASSES)
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:]))


def step_seconds(model_config: ModelConfig, batch_size: int) -> float:
    c0, c1, c2 = STEP_COSTS
    w = weights(model_config)
    return c0 + c1 * batch_size * w + c2 * w


def training_seconds(model_config: ModelConfig, train_config: TrainConfig, n_train: int = N_TRAIN, n_test: int = N_TEST) -> float:
    """The whole run: the untrained test, the epochs, the trained test."""
    steps = train_config.epochs * math.ceil(n_train / train_config.batch_size)
    evaluation = 2 * EVAL_FACTOR * STEP_COSTS[1] * n_test * weights(model_config)
    return steps * step_seconds(model_config, train_config.batch_size) + evaluation
