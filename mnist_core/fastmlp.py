"""A hand-written training step for the plain MLP (Linear and ReLU only) with Adam.

It does what `loss.backward(); Adam.step()` do for `nn.Sequential(fc1, relu1, fc2, relu2, fc3)` and
`nn.CrossEntropyLoss()`, calling the same ATen kernels autograd calls, in the same order, with the
same operands, so the gradients and the updated weights are bit for bit those of the autograd path
(tests/test_core_fastmlp.py checks this with `torch.equal`). What it saves is the overhead around
the arithmetic, which for this 89k-parameter network is most of a step: building and walking the
autograd graph, six `nn.Module` calls, and `torch.optim.Adam`'s per-parameter Python loop (about
ten tensor operations for each of the six parameters). Here the parameters, gradients and Adam's two
moments each live in one flat buffer, so Adam is seven element-wise operations over one tensor;
element-wise operations give the same value per element however the elements are grouped.
"""

from __future__ import annotations

import torch
from torch import nn

_aten = torch.ops.aten
_MEAN = 1  # at::Reduction::Mean
_IGNORE_INDEX = -100  # nn.CrossEntropyLoss's default


def plain_linears(model: nn.Module) -> list[nn.Linear] | None:
    """The Linear layers of an `nn.Sequential` of Linear, ReLU, Linear, ..., ReLU, Linear; else None."""
    if not isinstance(model, nn.Sequential) or len(model) % 2 != 1:
        return None
    layers = list(model)
    linears, relus = layers[0::2], layers[1::2]
    if not all(type(m) is nn.Linear and m.bias is not None for m in linears):
        return None
    if not all(type(m) is nn.ReLU and not m.inplace for m in relus):
        return None
    if any(hook for m in layers for hook in (m._forward_hooks, m._forward_pre_hooks, m._backward_hooks)):
        return None
    params = [p for m in linears for p in (m.weight, m.bias)]
    first = params[0]
    if not all(p.requires_grad and p.dtype == first.dtype and p.device == first.device for p in params):
        return None  # a frozen layer, or mixed dtypes or devices: autograd's business
    return linears


class FastAdamMLPStep:
    """One step of Adam (torch's defaults: betas (0.9, 0.999), eps 1e-8, L2 weight decay) on
    `nn.CrossEntropyLoss()` for a plain MLP. While it lives, the model's parameters are views into
    its flat buffer, so the model always holds the current weights; `release()` gives every
    parameter its own storage again (call it when training ends, however it ends).
    """

    def __init__(self, model: nn.Module, *, lr: float, weight_decay: float = 0.0,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):  # fmt: skip
        linears = plain_linears(model)
        if linears is None:
            raise ValueError("FastAdamMLPStep needs an nn.Sequential of Linear and ReLU layers")
        self.model, self.linears = model, linears
        self.lr, self.weight_decay, self.eps = lr, weight_decay, eps
        self.beta1, self.beta2 = betas
        params = [p for m in linears for p in (m.weight, m.bias)]
        first = params[0]
        # Each parameter starts on a 64-byte boundary, as a tensor of its own would (torch's
        # allocator aligns to 64 bytes): MKL's sgemm rounds differently into an output that is not
        # 16-byte aligned (measured: a 10x37 weight gradient at an odd offset differed in the last
        # bit), and the gradients must be autograd's exactly. The gaps stay zero throughout.
        align = max(1, 64 // first.element_size())
        starts, n = [], 0
        for p in params:
            starts.append(n)
            n += -(-p.numel() // align) * align
        self.flat = torch.zeros(n, dtype=first.dtype, device=first.device)
        self.grad = torch.zeros_like(self.flat)
        self.exp_avg = torch.zeros_like(self.flat)
        self.exp_avg_sq = torch.zeros_like(self.flat)
        self.denom = torch.empty_like(self.flat)
        self.steps = 0
        self.layers: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]] = []  # W, b, dW, db
        views = []
        for p, start in zip(params, starts):
            view = self.flat[start : start + p.numel()].view_as(p)
            view.copy_(p.detach())
            views.append((view, self.grad[start : start + p.numel()].view_as(p)))
        with torch.no_grad():
            for p, (view, _) in zip(params, views):
                p.data = view  # the model now reads and shows the flat buffer
        for i in range(0, len(views), 2):
            (w, dw), (b, db) = views[i], views[i + 1]
            self.layers.append((w, b, dw, db))
        self.params = params

    def release(self) -> None:
        """Give each parameter its own storage again: the model no longer aliases the buffer."""
        with torch.no_grad():
            for p in self.params:
                p.data = p.data.clone()

    def __call__(self, xb: torch.Tensor, yb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One step on the batch xb (B, n_in), yb (B,); returns the batch's mean loss () and its logits (B, n_out)."""
        # Forward, as nn.Linear (addmm(b, x, W.t())) and nn.ReLU, keeping what backward needs.
        acts = [xb]
        h = xb
        last = len(self.layers) - 1
        for i, (w, b, _, _) in enumerate(self.layers):
            h = torch.addmm(b, h, w.t())
            if i < last:
                h = torch.relu(h)
                acts.append(h)
        logits = h
        # nn.CrossEntropyLoss = log_softmax + nll_loss (mean), and their backward kernels.
        logp = torch.log_softmax(logits, 1)
        loss, total_weight = _aten.nll_loss_forward(logp, yb, None, _MEAN, _IGNORE_INDEX)
        grad = _aten.nll_loss_backward(torch.ones_like(loss), logp, yb, None, _MEAN, _IGNORE_INDEX, total_weight)
        grad = torch._log_softmax_backward_data(grad, logp, 1, logp.dtype)
        # Backward through addmm as autograd does it: the weight's gradient as (g^T x), because
        # W.t() is column-major; the bias's as the sum over the batch; the input's as g W.
        for i in range(last, -1, -1):
            w, _, dw, db = self.layers[i]
            a = acts[i]
            torch.mm(grad.t(), a, out=dw)
            torch.sum(grad, 0, out=db)
            if i > 0:
                grad = _aten.threshold_backward(grad.mm(w), a, 0)
        self._adam()
        return loss, logits

    def _adam(self) -> None:
        """torch.optim.Adam's single-tensor step (foreach=False, the CPU default), on the flat buffers."""
        self.steps += 1
        grad = self.grad
        if self.weight_decay != 0:
            grad = grad.add(self.flat, alpha=self.weight_decay)
        self.exp_avg.lerp_(grad, 1 - self.beta1)
        self.exp_avg_sq.mul_(self.beta2).addcmul_(grad, grad, value=1 - self.beta2)
        bias_correction1 = 1 - self.beta1**self.steps
        bias_correction2 = 1 - self.beta2**self.steps
        step_size = self.lr / bias_correction1
        torch.sqrt(self.exp_avg_sq, out=self.denom)
        self.denom.div_(bias_correction2**0.5).add_(self.eps)
        self.flat.addcdiv_(self.exp_avg, self.denom, value=-step_size)
