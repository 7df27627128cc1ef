"""The tutorial's multilayer perceptron: `fc1`, `relu1`, `fc2`, `relu2`, `fc3` in an `nn.Sequential`."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import torch
from torch import nn

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


def build_mlp(config: ModelConfig = ModelConfig()) -> nn.Sequential:
    """784 -> hidden... -> 10 logits. Input (B, 784) floats in [0, 1]; output (B, 10) logits."""
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    sizes = (N_INPUTS, *config.hidden)
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:]), start=1):
        layers[f"fc{i}"] = nn.Linear(n_in, n_out)
        layers[f"relu{i}"] = nn.ReLU()
        if config.dropout > 0:
            layers[f"dropout{i}"] = nn.Dropout(config.dropout)
    layers[f"fc{len(sizes)}"] = nn.Linear(sizes[-1], N_CLASSES)
    return nn.Sequential(layers)


def default_device() -> torch.device:
    """CUDA when present, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@torch.no_grad()
def predict_proba(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Class probabilities (B, 10) on the CPU for inputs (B, 784) in [0, 1].

    The model must already be in eval mode (`train` and `load_checkpoint` return it so). It is not
    switched here: models are shared between app sessions and threads, so nothing here mutates them.
    """
    device = next(model.parameters()).device
    return torch.softmax(model(x.to(device, torch.float32)), dim=1).cpu()
