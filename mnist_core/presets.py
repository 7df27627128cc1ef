"""Named configurations: the tutorial exactly as written, and the best MLP this project trains."""

from __future__ import annotations

from .config import ModelConfig, TrainConfig

PRESETS: dict[str, tuple[ModelConfig, TrainConfig]] = {
    # 다층 퍼셉트론으로 MNIST 분류하기: 784-100-100-10, Adam(lr=0.01), batch 64, 3 epochs.
    "tutorial": (ModelConfig(), TrainConfig()),
    # Still only fully connected layers; wider, distorted training digits, one-cycle schedule. The
    # "seeded" order (config.ORDERS) of the shipped best_mlp.pt, so its command still gives its weights.
    "best": (
        ModelConfig(hidden=(1024, 1024), dropout=0.1),
        TrainConfig(epochs=40, lr=2e-3, batch_size=128, schedule="onecycle", augment=True, order="seeded"),
    ),
    # The best MLP's network, half its training digits redrawn with a one-width pen (0.8-8 px), in
    # bfloat16: reads pen-drawn digits better (97.5% vs 96.1%), MNIST's own test digits worse (99.0%).
    "pen": (
        ModelConfig(hidden=(1024, 1024), dropout=0.1),
        TrainConfig(epochs=25, lr=2e-3, batch_size=128, schedule="onecycle", augment=True, label_smoothing=0.1,
                    pen=0.5, pen_width=(0.8, 8.0), precision="bfloat16", fused=True, order="seeded"),
    ),
}
