"""Named configurations: the tutorial exactly as written, and the best MLP this project trains."""

from __future__ import annotations

from .config import ModelConfig, TrainConfig

PRESETS: dict[str, tuple[ModelConfig, TrainConfig]] = {
    # 다층 퍼셉트론으로 MNIST 분류하기: 784-100-100-10, Adam(lr=0.01), batch 64, 3 epochs.
    "tutorial": (ModelConfig(), TrainConfig()),
    # Still only fully connected layers: wider, digits distorted anew every batch but the last 3
    # epochs', one-cycle schedule; bfloat16 arithmetic and Adam's fused kernel, so that its training
    # loop takes under 5 minutes on a 2-core CPU (the recipes tried: docs/experiments.md).
    "best": (
        ModelConfig(hidden=(1024, 1024), dropout=0.1),
        TrainConfig(epochs=38, lr=2e-3, batch_size=128, schedule="onecycle", augment=True, clean_epochs=3,
                    precision="bfloat16", fused=True),
    ),
}
