"""The core's settings, importable without torch: the model's and the training's configurations, and
the folders the environment names (MNIST_DATA_DIR, MNIST_CACHE_DIR, MNIST_CHECKPOINT_DIR; the core
reads no other environment variable).

Apart from `model`, `train` and `checkpoints` so that the app can draw its first page before torch
is loaded: `import torch` alone takes 1.2 s of a fresh server's first page.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

CHECKPOINT_DIR = Path(__file__).resolve().parent.parent / "checkpoints"  # the shipped ones
CHECKPOINT_DIR_ENV = "MNIST_CHECKPOINT_DIR"
DATA_DIR_ENV = "MNIST_DATA_DIR"  # a folder of the four MNIST IDX files; unset: OpenML
CACHE_DIR_ENV = "MNIST_CACHE_DIR"  # where parsed arrays are kept
N_INPUTS, N_CLASSES = 28 * 28, 10


class ConfigError(ValueError):
    """A configuration value out of range. `field` names it, so a user interface can say it in its words."""

    def __init__(self, field: str, value, message: str | None = None):
        super().__init__(message or f"invalid {field}: {value!r}")
        self.field, self.value = field, value


@dataclass(frozen=True)
class ModelConfig:
    """The architecture. `hidden=(100, 100)` and `dropout=0` is exactly the tutorial's network."""

    hidden: tuple[int, ...] = (100, 100)
    dropout: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        if not self.hidden or any(h < 1 for h in self.hidden):
            raise ConfigError("hidden", list(self.hidden), f"hidden sizes must be positive integers, got {list(self.hidden)}")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError("dropout", self.dropout, f"dropout must be in [0, 1), got {self.dropout}")


SCHEDULES = ("constant", "onecycle")
PRECISIONS = ("float32", "bfloat16")  # of the training step's arithmetic; weights and evaluation stay float32
# The training rows' order each epoch. "loader": the order the tutorial's DataLoader(shuffle=True)
# draws after torch.manual_seed(seed) and the network's initialisation, so the tutorial preset gives
# the tutorial loop's own weights. "seeded": torch.randperm from a generator seeded with the seed; a
# checkpoint that records no `order` was trained in it, so it is what loading assumes.
ORDERS = ("loader", "seeded")


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters. The defaults are exactly the tutorial's: Adam(lr=0.01), batch 64, 3 epochs."""

    epochs: int = 3
    lr: float = 0.01
    batch_size: int = 64
    seed: int = 0
    weight_decay: float = 0.0
    schedule: str = "constant"  # or "onecycle": warm up to `lr`, then anneal (cosine) to ~0
    augment: bool = False  # random affine + elastic distortions of every training batch
    clean_epochs: int = 0  # with `augment`: the last N epochs train on the digits as they are
    label_smoothing: float = 0.0
    precision: str = "float32"  # "bfloat16": forward and backward under CPU/CUDA autocast
    fused: bool = False  # Adam's fused kernel: faster, rounds differently (so not for the tutorial)
    order: str = "loader"  # the rows' order each epoch: see ORDERS

    def __post_init__(self) -> None:
        checks = {
            "epochs": self.epochs >= 1,
            "clean_epochs": self.clean_epochs >= 0,
            "lr": self.lr > 0,
            "batch_size": self.batch_size >= 1,
            "weight_decay": self.weight_decay >= 0,
            "schedule": self.schedule in SCHEDULES,
            "label_smoothing": 0 <= self.label_smoothing < 1,
            "precision": self.precision in PRECISIONS,
            "order": self.order in ORDERS,
        }
        for name, ok in checks.items():
            if not ok:
                raise ConfigError(name, getattr(self, name))
        if self.clean_epochs > self.epochs:
            raise ConfigError("clean_epochs", self.clean_epochs, f"clean_epochs ({self.clean_epochs}) must be at most epochs ({self.epochs})")


def checkpoint_dir() -> Path:
    """The checkpoint folder the command line and the app share: $MNIST_CHECKPOINT_DIR, else the shipped one."""
    return Path(os.environ.get(CHECKPOINT_DIR_ENV) or CHECKPOINT_DIR)


def data_dir_setting() -> str | None:
    """$MNIST_DATA_DIR, or None when it is unset or empty (then the data comes from OpenML)."""
    return os.environ.get(DATA_DIR_ENV) or None


def default_cache_dir() -> Path:
    """Where parsed arrays are kept: $MNIST_CACHE_DIR, else ~/.cache/mnist_core."""
    return Path(os.environ.get(CACHE_DIR_ENV) or Path.home() / ".cache" / "mnist_core")
