"""The tutorial's multilayer perceptron: `fc1`, `relu1`, `fc2`, `relu2`, `fc3` in an `nn.Sequential`."""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from .config import N_CLASSES, N_INPUTS, ModelConfig


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
