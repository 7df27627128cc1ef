"""Named configurations: the tutorial exactly as written, and the best MLP this project trains."""

from __future__ import annotations

from .model import ModelConfig
from .train import TrainConfig

PRESETS: dict[str, tuple[ModelConfig, TrainConfig]] = {
    # 다층 퍼셉트론으로 MNIST 분류하기: 784-100-100-10, Adam(lr=0.01), batch 64, 3 epochs.
    "tutorial": (ModelConfig(), TrainConfig()),
    # Still only fully connected layers; wider, distorted training digits, one-cycle schedule.
    "best": (
        ModelConfig(hidden=(1024, 1024), dropout=0.1),
        TrainConfig(epochs=40, lr=2e-3, batch_size=128, schedule="onecycle", augment=True),
    ),
}
