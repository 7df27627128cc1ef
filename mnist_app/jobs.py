"""The training worker: one training at a time on the server, in a queue everyone can see, each
training in a thread of its own.

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

from mnist_core.estimate import training_seconds

from .settings import ABANDON_S, train_threads

logger = logging.getLogger(__name__)
TORCH_THREADS = torch.get_num_threads()  # torch's default, as the command line trains with
RUNNING = ("queued", "untrained", "training", "testing")


@dataclass
class TrainingJob:
    """One training: the session's script runs read it, its worker thread writes it."""

    model_config: ModelConfig
    train_config: TrainConfig
    owner: str = ""  # the owning session's nickname, shown to those waiting
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
    started: float | None = None  # time.monotonic() when its turn came

    @property
    def estimate(self) -> float:
        """Seconds the whole run should take on an idle server (mnist_core.estimate)."""
        return training_seconds(self.model_config, self.train_config)

    def seconds_left(self) -> float:
        """The estimate until a tenth of the training is done, then the pace measured so far."""
        if self.started is None:
            return self.estimate
        elapsed = time.monotonic() - self.started
        if self.fraction < 0.1:
            return max(0.0, self.estimate - elapsed)
        return elapsed * (1 - self.fraction) / self.fraction

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


class TrainingQueue:
    """The server's trainings in order: the first is running, the others wait their turn (first come,
    first served). One at a time: two would share the same cores and both crawl, and torch's global
    seed (set by new_model) keeps a run reproducible only if nothing interleaves."""

    def __init__(self) -> None:
        self._turn = threading.Condition()
        self._jobs: list[TrainingJob] = []

    def enter(self, job: TrainingJob) -> None:
        with self._turn:
            self._jobs.append(job)

    def leave(self, job: TrainingJob) -> None:
        with self._turn:
            if job in self._jobs:
                self._jobs.remove(job)
            self._turn.notify_all()

    def wait_turn(self, job: TrainingJob, poll_s: float = 0.2) -> bool:
        """Block until `job` is first; False (and out of the queue) if it is stopped meanwhile."""
        with self._turn:
            while self._jobs[0] is not job:
                if job.should_stop():
                    self._jobs.remove(job)
                    self._turn.notify_all()
                    return False
                self._turn.wait(poll_s)
            return True

    def jobs(self) -> list[TrainingJob]:
        with self._turn:
            return list(self._jobs)

    def position(self, job: TrainingJob) -> int:
        """0 for the running training, 1 for the next, ...; -1 when not in the queue."""
        jobs = self.jobs()
        return jobs.index(job) if job in jobs else -1

    def wait_seconds(self, job: TrainingJob) -> float:
        """Estimated seconds until `job`'s turn: what is left of those ahead of it."""
        jobs = self.jobs()
        return sum(j.seconds_left() for j in jobs[: jobs.index(job)]) if job in jobs else 0.0


QUEUE = TrainingQueue()


def run_job(job: TrainingJob, split: Split, queue: TrainingQueue = QUEUE) -> None:
    """The worker thread: wait for its turn (Stop still works while waiting), then fit."""
    try:
        if not queue.wait_turn(job):
            job.status = "stopped"
            return
        try:
            job.started = time.monotonic()
            fit(job, split)
        finally:
            queue.leave(job)
    except Exception as e:  # in a thread an exception would reach only the log: keep it for the page
        logger.exception("training %s failed", job.id)
        job.error, job.status = " ".join(str(e).split()) or type(e).__name__, "failed"


def start(job: TrainingJob, split: Split, queue: TrainingQueue = QUEUE) -> threading.Thread:
    """Queue the job at once (its place is known before the thread runs), then train in a thread."""
    queue.enter(job)
    thread = threading.Thread(target=run_job, args=(job, split, queue), name=f"train-{job.id}", daemon=True)
    thread.start()
    return thread
