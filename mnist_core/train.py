"""Training and evaluation: the tutorial's loop without its DataLoader overhead, plus the best-MLP recipe.

The tutorial iterates a `DataLoader` over a `TensorDataset`, which indexes and collates 64 rows one
by one in Python for every batch. Here the whole training set is one tensor on the device and a
batch is one fancy-index of a shuffled permutation: same batches in distribution, same optimiser,
far less Python per step.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np
import torch
from torch import nn

from .augment import AugmentConfig, distort
from .config import N_CLASSES, ModelConfig, TrainConfig
from .evaluation import Evaluation
from .fastmlp import FastAdamMLPStep, plain_linears
from .model import build_mlp


@dataclass(frozen=True)
class Progress:
    """One report from `train`: where it is, and the running training loss and accuracy this epoch."""

    epoch: int  # 1-based
    epochs: int
    batch: int  # 1-based, within the epoch
    batches: int
    loss: float
    accuracy: float

    @property
    def fraction(self) -> float:
        return ((self.epoch - 1) * self.batches + self.batch) / (self.epochs * self.batches)


@dataclass
class History:
    epochs: list[dict] = field(default_factory=list)  # {"epoch", "loss", "accuracy"} per finished epoch
    stopped: bool = False
    train_seconds: float = 0.0


def seed_everything(seed: int) -> torch.Generator:
    """Seed torch's global generator (weight init, dropout) once; return a generator for shuffling."""
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def new_model(model_config: ModelConfig, seed: int, device: torch.device) -> nn.Sequential:
    """A freshly initialised MLP: the same seed gives the same weights."""
    seed_everything(seed)
    return build_mlp(model_config).to(device)


def _scheduler(optimizer, config: TrainConfig, steps: int):
    if config.schedule == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.lr, total_steps=steps, pct_start=0.15)
    return None


def _tensor(a: np.ndarray, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """`a` on the device; a read-only array (an app's shared test images) is copied, not shared,
    because torch warns on every server that a tensor over it would not be writable."""
    a = np.asarray(a)
    return torch.as_tensor(a if a.flags.writeable else a.copy(), dtype=dtype, device=device)


def _as_tensors(x: np.ndarray, y: np.ndarray, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    return _tensor(x, torch.float32, device), _tensor(y, torch.long, device)


class _Step:
    """One optimisation step on one batch: the tutorial's zero_grad / forward / backward / step.

    For the plain configuration (an MLP of Linear and ReLU layers on the CPU, constant learning
    rate, no distortions, no label smoothing: the tutorial preset) the step is `FastAdamMLPStep`, a
    hand-written forward, backward and Adam that gives bit for bit the weights of the autograd path
    below, in about half its time (bench/bench_train.py; docs/benchmarks.md). Everything else (the best preset: dropout,
    distortions, one-cycle schedule) takes the autograd path, unchanged.
    """

    def __init__(self, model: nn.Module, config: TrainConfig, steps: int, device: torch.device):
        self.model, self.config = model, config
        self.distorting = config.augment  # `train` turns it off for the last `clean_epochs` epochs
        self.fast = None
        if _fast_path(model, config, device):
            self.fast = FastAdamMLPStep(model, lr=config.lr, weight_decay=config.weight_decay)
            return
        # Not fused=True by default, though it is faster: it rounds differently, so the tutorial preset
        # would not give the tutorial loop's own weights.
        self.optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay, fused=config.fused or None)
        self.scheduler = _scheduler(self.optimizer, config, steps)
        self.loss_fn = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
        self.augment_gen = torch.Generator(device=device).manual_seed(config.seed + 1)

    def __call__(self, xb: torch.Tensor, yb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One step on the batch xb (B, 784), yb (B,): its mean loss () and logits (B, 10), detached."""
        if self.fast is not None:
            return self.fast(xb, yb)
        if self.distorting:
            xb = distort(xb, AugmentConfig(), self.augment_gen)
        with torch.autocast(xb.device.type, torch.bfloat16, enabled=self.config.precision == "bfloat16"):
            logits = self.model(xb)  # (B, 10)
            loss = self.loss_fn(logits, yb)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        if self.scheduler is not None:
            self.scheduler.step()
        return loss.detach(), logits.detach()

    def close(self) -> None:
        """Training is over (finished or stopped): the model's parameters own their storage again."""
        if self.fast is not None:
            self.fast.release()


def _fast_path(model: nn.Module, config: TrainConfig, device: torch.device) -> bool:
    """Whether `FastAdamMLPStep` does exactly what the autograd path would for this model and config.

    CPU only: it is checked bit for bit against autograd there (tests/test_core_fastmlp.py); on CUDA,
    Adam defaults to its foreach implementation, which the hand-written step does not reproduce.
    """
    plain = config.schedule == "constant" and not config.augment and config.label_smoothing == 0
    plain = plain and config.precision == "float32" and not config.fused  # the hand-written step is float32, unfused
    return plain and device.type == "cpu" and plain_linears(model) is not None


def _row_orders(model: nn.Module, config: TrainConfig, n: int, device: torch.device) -> Iterator[torch.Tensor]:
    """Each epoch's order of the n training rows, (n,) indices.

    "loader": what the tutorial's `DataLoader(..., shuffle=True)` draws from torch's global generator
    after `torch.manual_seed(seed)` and the network's initialisation, drawn here from a generator of
    our own (a training thread must not move the global one): nn.Linear's initialisation takes one
    `uniform_` draw for each weight and bias; then each epoch the loader's iterator takes a base seed
    and its RandomSampler a seed for a generator of its own, and `randperm` with it. With the tutorial
    preset's hand-written step (autograd's weights bit for bit) this gives the tutorial loop's own
    weights for the same seed (tests/test_core_train.py)."""
    if config.order == "seeded":
        shuffle = torch.Generator(device=device).manual_seed(config.seed)
        while True:
            yield torch.randperm(n, generator=shuffle, device=device)
    draws = torch.Generator().manual_seed(config.seed)
    for p in model.parameters():
        torch.empty(p.shape).uniform_(generator=draws)
    while True:
        torch.empty((), dtype=torch.int64).random_(generator=draws)  # the iterator's base seed
        sampler_seed = int(torch.empty((), dtype=torch.int64).random_(generator=draws).item())
        yield torch.randperm(n, generator=torch.Generator().manual_seed(sampler_seed)).to(device)


def _so_far(losses: torch.Tensor, predicted: torch.Tensor, y: torch.Tensor, batches: int, seen: int, batch_size: int) -> tuple[float, float]:
    """The epoch's mean loss and training accuracy over its first `batches` batches (`seen` rows)."""
    sizes = torch.full((batches,), float(batch_size), device=losses.device)
    sizes[-1] = seen - batch_size * (batches - 1)  # the epoch's last batch may be short
    loss = (losses[:batches] * sizes).sum().item() / seen
    return loss, (predicted[:seen] == y[:seen]).sum().item() / seen


def train(
    model: nn.Module,
    x: np.ndarray,
    y: np.ndarray,
    config: TrainConfig = TrainConfig(),
    *,
    device: torch.device,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    report_every: int = 50,
) -> History:
    """Train `model` in place on x (N, 784) floats in [0, 1] and y (N,) labels; return its history.

    `should_stop` is polled between batches; when it returns True training ends early with
    `history.stopped` set. The model is left in eval mode.
    """
    xs, ys = _as_tensors(x, y, device)
    orders = _row_orders(model, config, len(xs), device)
    batches = (len(xs) + config.batch_size - 1) // config.batch_size
    step = _Step(model, config, config.epochs * batches, device)
    history, start = History(), time.perf_counter()
    model.train()
    try:
        for epoch in range(1, config.epochs + 1):
            order = next(orders)
            step.distorting = config.augment and epoch <= config.epochs - config.clean_epochs
            # The epoch's rows gathered once, in order; each batch is then a slice of them, a view:
            # the same rows as xs[order[a:b]], with two tensor operations fewer a step.
            x_epoch, y_epoch = xs.index_select(0, order), ys.index_select(0, order)  # (N, 784), (N,)
            # Each batch's mean loss and each row's predicted digit, written in place: two tensor
            # operations a step where running sums took six (measured: 3-4% of the tutorial's step).
            losses = torch.zeros(batches, device=device)
            predicted = torch.empty(len(xs), dtype=torch.long, device=device)
            parts = zip(x_epoch.split(config.batch_size), y_epoch.split(config.batch_size), predicted.split(config.batch_size))
            for batch, (xb, yb, pb) in enumerate(parts, start=1):
                if should_stop is not None and should_stop():
                    history.stopped = True
                    break
                loss, logits = step(xb, yb)
                losses[batch - 1] = loss
                torch.argmax(logits, 1, out=pb)
                if on_progress is not None and (batch % report_every == 0 or batch == batches):
                    seen = min(batch * config.batch_size, len(xs))
                    loss_mean, accuracy = _so_far(losses, predicted, y_epoch, batch, seen, config.batch_size)
                    on_progress(Progress(epoch, config.epochs, batch, batches, loss_mean, accuracy))
            if history.stopped:
                break
            loss_mean, accuracy = _so_far(losses, predicted, y_epoch, batches, len(xs), config.batch_size)
            history.epochs.append({"epoch": epoch, "loss": loss_mean, "accuracy": accuracy})
    finally:
        step.close()
    history.train_seconds = time.perf_counter() - start
    model.eval()
    return history


@torch.no_grad()
def evaluate(model: nn.Module, x: np.ndarray, y: np.ndarray, *, device: torch.device, batch_size: int = 2000) -> Evaluation:
    """The confusion matrix of the model's predictions on x (N, 784). The model must be in eval mode."""
    # Imported here: scikit-learn's metrics take 1.2 s to import, which a fresh app server's first
    # page (that only draws) would otherwise wait for (bench/bench_startup.py).
    from sklearn.metrics import confusion_matrix

    xs = _tensor(x, torch.float32, device)
    preds = torch.cat([model(xs[i : i + batch_size]).argmax(1) for i in range(0, len(xs), batch_size)])
    matrix = confusion_matrix(np.asarray(y), preds.cpu().numpy(), labels=range(N_CLASSES))
    return Evaluation(tuple(tuple(int(v) for v in row) for row in matrix))
