"""The training worker: one training at a time on the server, each in a thread of its own.

Why a thread and not the script run itself: a click on Stop (or on anything else of the session)
reruns the script, which would kill an in-script training whenever its owner touched a widget and
would freeze the owner's page until it ended. In a thread the training survives reruns, the owner
can draw while it runs, and Stop is a flag the training loop polls between batches.

No streamlit here: the page reads a job's fields, the worker writes them (plain assignments and list
appends, atomic under the GIL), and the unit tests drive it directly.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from dataclasses import dataclass, field

import torch

from mnist_core.data import Split
from mnist_core.model import ModelConfig, default_device
from mnist_core.run import RunResult, run_training
from mnist_core.train import Evaluation, Progress, TrainConfig

from .settings import ABANDON_S, train_threads

logger = logging.getLogger(__name__)

# One training at a time on the server: two would share the same cores and both crawl, and torch's
# global seed (set by new_model) keeps a run reproducible only if nothing interleaves.
SLOT = threading.Lock()
TORCH_THREADS = torch.get_num_threads()  # torch's default, as the command line trains with
RUNNING = ("queued", "untrained", "training", "testing")


@dataclass
class TrainingJob:
    """One training: the session's script runs read it, its worker thread writes it."""

    model_config: ModelConfig
    train_config: TrainConfig
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    status: str = "queued"  # one of RUNNING, then finished, stopped or failed
    fraction: float = 0.0
    points: list[dict] = field(default_factory=list)  # {"epoch" (fractional), "loss", "accuracy"}
    before: Evaluation | None = None
    result: RunResult | None = None
    error: str | None = None  # one line, for the server log's reader and the page
    collected: bool = False  # the page has taken note of the end
    stop: threading.Event = field(default_factory=threading.Event)
    last_seen: float = field(default_factory=time.monotonic)

    @property
    def running(self) -> bool:
        return self.status in RUNNING

    @property
    def epoch(self) -> int:
        return math.ceil(self.points[-1]["epoch"]) if self.points else 1

    def seen(self) -> None:
        """The page looked at the job: it still has an owner."""
        self.last_seen = time.monotonic()

    def should_stop(self) -> bool:
        # A closed browser tab stops polling; its training is then stopped, not run for nobody.
        return self.stop.is_set() or time.monotonic() - self.last_seen > ABANDON_S

    def stage(self, name: str, before: Evaluation | None) -> None:
        self.status, self.before = name, before

    def report(self, p: Progress) -> None:
        self.points.append({"epoch": p.epoch - 1 + p.batch / p.batches, "loss": p.loss, "accuracy": p.accuracy})
        self.fraction = p.fraction


def fit(job: TrainingJob, split: Split) -> None:
    """The training itself, in the worker."""
    torch.set_num_threads(train_threads(TORCH_THREADS))
    batches = math.ceil(len(split.x_train) / job.train_config.batch_size)
    result = run_training(
        job.model_config, job.train_config, split, device=default_device(), on_stage=job.stage,
        on_progress=job.report, should_stop=job.should_stop, report_every=max(1, batches // 25),
    )  # fmt: skip
    if result.stopped:
        job.status = "stopped"
        return
    job.result = result
    job.status = "finished"


def run_job(job: TrainingJob, split: Split, slot: threading.Lock = SLOT) -> None:
    """The worker thread: wait for the training slot (Stop still works while waiting), then fit."""
    try:
        while not slot.acquire(timeout=0.2):
            if job.should_stop():
                job.status = "stopped"
                return
        try:
            fit(job, split)
        finally:
            slot.release()
    except Exception as e:  # in a thread an exception would reach only the log: keep it for the page
        logger.exception("training %s failed", job.id)
        job.error, job.status = " ".join(str(e).split()) or type(e).__name__, "failed"


def start(job: TrainingJob, split: Split) -> threading.Thread:
    thread = threading.Thread(target=run_job, args=(job, split), name=f"train-{job.id}", daemon=True)
    thread.start()
    return thread
