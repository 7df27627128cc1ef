"""One training run as the tutorial makes it: test accuracy untrained, the training, test accuracy trained.

The command line, the app's training worker, the tests and the benchmarks all call `run_training`, so
the figures a checkpoint records (`RunResult.metrics`) are computed in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from .config import ModelConfig, TrainConfig
from .data import Split
from .evaluation import Evaluation
from .train import History, Progress, evaluate, new_model, train

STAGES = ("untrained", "training", "testing")  # what `on_stage` is told, in this order, with `before`


@dataclass(frozen=True)
class RunResult:
    """A finished (or stopped) run. `after` is None when the run was stopped: nothing to keep."""

    model: nn.Module  # eval mode, on the device it trained on
    before: Evaluation  # the freshly initialised network on the test images
    after: Evaluation | None
    history: History

    @property
    def stopped(self) -> bool:
        return self.history.stopped

    @property
    def train_seconds(self) -> float:
        return self.history.train_seconds

    def metrics(self) -> dict:
        """The checkpoint's `metrics`: plain numbers and lists, loadable with weights_only."""
        if self.after is None:
            raise ValueError("a stopped run has no test metrics")
        after = self.after
        return {
            "accuracy": after.accuracy, "correct": after.correct, "total": after.total,
            "untrained_accuracy": self.before.accuracy, "untrained_correct": self.before.correct,
            "train_seconds": round(self.train_seconds, 2),
            "per_class_correct": list(after.per_class_correct), "per_class_total": list(after.per_class_total),
            "confusion": [list(row) for row in after.confusion],
        }  # fmt: skip


def run_training(
    model_config: ModelConfig,
    train_config: TrainConfig,
    split: Split,
    *,
    device: torch.device,
    on_stage: Callable[[str, Evaluation | None], None] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    report_every: int = 50,
    on_model: Callable[[nn.Module], None] | None = None,
) -> RunResult:
    """Initialise with the config's seed, test, train on the seed split's training part, test again.

    `on_stage(stage, before)` is called as each of STAGES begins; `before` is the untrained network's
    evaluation once it is known (None for "untrained"). `on_model(model)` is given the network once,
    before its training: the app's live view takes its snapshots from it between steps.
    """
    stage = on_stage or (lambda name, before: None)
    model = new_model(model_config, train_config.seed, device).eval()
    stage("untrained", None)
    before = evaluate(model, split.x_test, split.y_test, device=device)
    stage("training", before)
    if on_model is not None:
        on_model(model)
    history = train(
        model, split.x_train, split.y_train, train_config, device=device,
        on_progress=on_progress, should_stop=should_stop, report_every=report_every,
    )  # fmt: skip
    if history.stopped:
        return RunResult(model, before, None, history)
    stage("testing", before)
    return RunResult(model, before, evaluate(model, split.x_test, split.y_test, device=device), history)
