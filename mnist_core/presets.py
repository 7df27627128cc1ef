"""Named configurations: the tutorial exactly as written, and the best MLP this project trains."""

from __future__ import annotations

from .model import ModelConfig
from .train import TrainConfig

PRESETS: dict[str, tuple[ModelConfig, TrainConfig]] = {
    # 다층 퍼셉트론으로 MNIST 분류하기: 784-100-100-10, Adam(lr=0.01), batch 64, 3 epochs.
    "tutorial": (ModelConfig(), TrainConfig()),
    # Still only fully connected layers; wider, distorted training digits (30% of them redrawn with
    # a pen of one width, as on the canvas), one-cycle schedule, bfloat16 arithmetic (AMX) in training.
    "best": (
        ModelConfig(hidden=(1024, 1024), dropout=0.1),
        TrainConfig(epochs=30, lr=3e-3, batch_size=256, schedule="onecycle", augment=True, pen=0.3,
                    label_smoothing=0.1, precision="bfloat16", fused=True),  # fmt: skip
    ),
}
