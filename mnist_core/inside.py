"""A look inside a trained MLP: first-layer templates, each layer's activations, who the outputs listen
to, and which pixels a prediction rests on.

Models are shared between app sessions and threads, so nothing here mutates one: no `.train()` or
`.eval()`, no hooks, no `requires_grad_` on its parameters. The forward pass walks the `nn.Sequential`'s
children itself, reading the Linear layers' weights, and treats Dropout as the identity (eval
semantics) whatever the model's mode.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

SIDE = 28


@dataclass(frozen=True)
class Trace:
    """One input's way through the network, as float32 numpy arrays on the CPU."""

    x: np.ndarray  # (784,) the input
    hidden: tuple[np.ndarray, ...]  # one (H_i,) per hidden layer, after its ReLU
    logits: np.ndarray  # (10,)
    probs: np.ndarray  # (10,) softmax of the logits

    @property
    def predicted(self) -> int:
        return int(self.logits.argmax())


def linear_layers(model: nn.Module) -> list[nn.Linear]:
    """The model's Linear layers in order: fc1 ... fcN."""
    return [m for m in model.children() if isinstance(m, nn.Linear)]


def _walk(model: nn.Module, x: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
    """x (B, 784) -> (post-ReLU activations per hidden layer, each (B, H_i); logits (B, 10)).

    Only Linear, ReLU and Dropout are known: anything else would make the activations mean something
    else, so it is refused rather than guessed at.
    """
    hidden = []
    for module in model.children():
        if isinstance(module, nn.Linear):
            x = F.linear(x, module.weight, module.bias)
        elif isinstance(module, nn.ReLU):
            x = torch.relu(x)
            hidden.append(x)
        elif not isinstance(module, nn.Dropout):  # Dropout: the identity at inference
            raise TypeError(f"cannot trace a {type(module).__name__} layer: expected Linear, ReLU, Dropout")
    return hidden, x


def _as_input(x: np.ndarray | torch.Tensor, device: torch.device) -> torch.Tensor:
    """Any (784,) or (28, 28) input -> a new (1, 784) float32 tensor: the caller's array is never touched."""
    # np.array copies: a read-only row of the app's shared test images makes torch warn otherwise.
    t = x if isinstance(x, torch.Tensor) else torch.from_numpy(np.array(x, dtype=np.float32))
    if t.numel() != SIDE * SIDE:
        raise ValueError(f"expected 784 pixels, got shape {tuple(t.shape)}")
    return t.detach().to(device, torch.float32).reshape(1, -1).clone()


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


@torch.no_grad()
def forward_trace(model: nn.Module, x: np.ndarray | torch.Tensor) -> Trace:
    """Run one input x (784,) or (28, 28) in [0, 1] through the model, keeping every hidden layer."""
    hidden, logits = _walk(model, _as_input(x, _device(model)))
    logits = logits[0]
    return Trace(
        x=_as_input(x, torch.device("cpu"))[0].numpy(),
        hidden=tuple(h[0].cpu().numpy() for h in hidden),
        logits=logits.cpu().numpy(),
        probs=torch.softmax(logits, 0).cpu().numpy(),
    )


def first_layer_templates(model: nn.Module) -> np.ndarray:
    """fc1's weights as pictures: (H, 28, 28), one per first-layer unit. Positive weights are where ink
    raises the unit's input, negative where ink lowers it."""
    weight = linear_layers(model)[0].weight.detach()  # (H, 784)
    return weight.cpu().numpy().reshape(-1, SIDE, SIDE).copy()


def strongest_units(model: nn.Module, k: int, offset: int = 0) -> np.ndarray:
    """First-layer unit indices (<= k,) by the norm of their incoming weights, largest first, from `offset`.

    Why the norm: a unit's input is w.x + b, and |w.x| <= |w| |x|, so a small-norm unit can barely
    respond to any digit. An untouched unit keeps its initial norm of about 0.58 (uniform +-1/28 over
    784 weights); measured, tutorial.pt spans 0.81..13.7 (median 10.1), best_mlp.pt 0.68..6.15
    (median 3.2). And the next layer listens to the same units: a unit's incoming norm correlates with
    the norm of its outgoing weights (r = 0.96 in tutorial.pt, 0.94 in best_mlp.pt). At the far end
    are dead units: tutorial.pt's 28 weakest never fire on any of the 10000 test digits, and 152 of
    best_mlp.pt's 201 silent units are among its 201 weakest.
    """
    if k < 0 or offset < 0:
        raise ValueError(f"k and offset must be >= 0, got k={k}, offset={offset}")
    norms = linear_layers(model)[0].weight.detach().norm(dim=1).cpu().numpy()  # (H,)
    order = np.argsort(-norms, kind="stable")  # ties keep unit order: pages are stable
    return order[offset : offset + k]


def top_units(trace: Trace, layer: int, k: int) -> np.ndarray:
    """Indices (<= k,) of hidden layer `layer`'s (0-based) units that fire most, strongest first.

    Only units that fire at all (activation > 0) are listed: after a ReLU about half are exactly 0.
    """
    act = trace.hidden[layer]  # (H,)
    order = np.argsort(-act, kind="stable")[:k]
    return order[act[order] > 0]


def contributions(model: nn.Module, trace: Trace) -> np.ndarray:
    """(10, H_last): how much each output's logit owes to each last-hidden unit, weight x activation.

    Exact, not an approximation: the last layer is linear, so logits = contributions.sum(1) + bias.
    """
    last = linear_layers(model)[-1]
    weight = last.weight.detach().cpu().numpy()  # (10, H_last)
    return weight * trace.hidden[-1][None, :]


def output_bias(model: nn.Module) -> np.ndarray:
    """The last layer's bias (10,): the part of each logit no hidden unit accounts for."""
    last = linear_layers(model)[-1]
    return np.zeros(last.out_features, np.float32) if last.bias is None else last.bias.detach().cpu().numpy()


def saliency(model: nn.Module, x: np.ndarray | torch.Tensor, target: int) -> np.ndarray:
    """Gradient x input of the `target` logit: (28, 28), how much each pixel's ink adds to the score.

    Why gradient x input: a ReLU network is piecewise linear, so around x the logit is exactly
    sum_i g_i x_i + (a bias term), with g the gradient. g_i x_i is therefore pixel i's own share of
    the score (red: its ink argues for `target`, blue: against), from one backward pass (a few ms
    even for the 1024-wide network). Its limits: it is 0 wherever the input is 0, so it says nothing
    about where ink is missing; the templates and the experiment bench show that.

    The gradient is taken with respect to a copy of the input only (`torch.autograd.grad`), so the
    model's parameters get no `.grad` and their `requires_grad` is not changed.
    """
    xt = _as_input(x, _device(model)).requires_grad_(True)  # (1, 784), a fresh leaf
    with torch.enable_grad():
        _, logits = _walk(model, xt)
        (grad,) = torch.autograd.grad(logits[0, int(target)], xt)
    return (grad * xt).detach()[0].cpu().numpy().reshape(SIDE, SIDE)


@torch.no_grad()
def local_templates(model: nn.Module, trace: Trace, layer: int, units: np.ndarray | None = None) -> np.ndarray:
    """What each unit of hidden layer `layer` (0-based) looks for in this input: (K, 28, 28) for the
    K `units` asked for (default: all of the layer's).

    A ReLU network is linear around any input once it is known which units fire: the pre-activation
    of a unit in layer l is then T . x + c, with T = W_l D_(l-1) W_(l-1) ... D_1 W_1 and D_i the
    0/1 diagonal of the units of layer i that fired for this input. For layer 0 this is fc1's
    template itself; deeper, it is the picture the unit responds to given the rest of this input.
    `layer` = the number of hidden layers gives the ten logits' templates: saliency / x.
    The product runs from the chosen rows down, so K units of a 1024-wide layer cost K rows, not 1024.
    """
    linears = linear_layers(model)
    weight = linears[layer].weight.detach()  # (H_layer, H_layer-1 or 784)
    effective = weight if units is None else weight[torch.as_tensor(np.asarray(units, dtype=np.int64))]
    for i in range(layer - 1, -1, -1):
        fired = torch.as_tensor(trace.hidden[i] > 0, device=effective.device)  # (H_i,)
        effective = (effective * fired[None, :]) @ linears[i].weight.detach()  # (K, H_i-1 or 784)
    return effective.cpu().numpy().reshape(-1, SIDE, SIDE)
