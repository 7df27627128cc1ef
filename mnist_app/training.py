"""A session's training: options checked, the job put in the room's queue, its progress told, its
model collected.

Trainings run in worker processes (mnist_app.worker) that take them from the queue in the room's
database (mnist_app.room.queue); this is the session's side. The session keeps only the job's id:
every look reads the job's row, so a page on any app server shows the same queue and progress. A
finished training's model becomes the session's own model and its active one, whichever section the
session is on by then.

The room and the models (torch) are imported where a training is made or collected, not above: the
page's frame calls `collect` and `banner` on every run, the first page's too, before torch is loaded.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import streamlit as st

from mnist_core.config import ConfigError, ModelConfig, TrainConfig

from . import state
from .i18n import duration, t
from .settings import ABANDON_S, LIMITS, POLL_S, QUEUE_POLL_S, TUTORIAL_MODEL, TUTORIAL_TRAIN, max_train_seconds
from .state import OWN_MODEL, Key

if TYPE_CHECKING:
    from .room.queue import Job

logger = logging.getLogger(__name__)
SEEN_EVERY_S = ABANDON_S / 10  # the owner's page tells the queue it still looks this often


def parse_options() -> tuple[ModelConfig, TrainConfig]:
    """The Train section's inputs as configs; ConfigError naming the field for anything out of range."""
    text = str(state.get(Key.TRAIN_HIDDEN))
    try:
        hidden = tuple(int(h) for h in text.replace(",", " ").split())
    except ValueError:
        raise ConfigError("hidden", text) from None
    if not 1 <= len(hidden) <= LIMITS["layers"] or not all(1 <= h <= LIMITS["hidden"] for h in hidden):
        raise ConfigError("hidden", text)
    model_config = ModelConfig(hidden=hidden)
    values = {name: state.get(key) for name, key in
              (("epochs", Key.TRAIN_EPOCHS), ("lr", Key.TRAIN_LR), ("batch_size", Key.TRAIN_BATCH), ("seed", Key.TRAIN_SEED))}  # fmt: skip
    for name in ("epochs", "batch_size", "seed"):
        low = 0 if name == "seed" else 1
        if not low <= values[name] <= LIMITS[name] or int(values[name]) != values[name]:
            raise ConfigError(name, values[name])
    if not 0 < values["lr"] <= LIMITS["lr"]:  # NaN too
        raise ConfigError("lr", values["lr"])
    train_config = TrainConfig(epochs=int(values["epochs"]), lr=float(values["lr"]),
                               batch_size=int(values["batch_size"]), seed=int(values["seed"]))  # fmt: skip
    return model_config, train_config


class TooLong(ValueError):
    """The estimated training is longer than the server accepts."""

    def __init__(self, seconds: float):
        super().__init__(seconds)
        self.seconds = seconds


def checked_options() -> tuple[ModelConfig, TrainConfig]:
    """The section's options; ConfigError or TooLong for what the server will not run."""
    from mnist_core.estimate import training_seconds

    model_config, train_config = parse_options()
    estimate = training_seconds(model_config, train_config)
    if estimate > max_train_seconds():
        raise TooLong(estimate)
    return model_config, train_config


def submit(model_config: ModelConfig, train_config: TrainConfig) -> None:
    """Put the training in the room's queue as this participant's; RoomError if the room is away."""
    from mnist_core.estimate import training_seconds

    from .resources import room_queue

    job = room_queue().submit(model_config, train_config, owner=state.get(Key.TOKEN), nick=state.get(Key.NICK),
                              estimate=training_seconds(model_config, train_config))  # fmt: skip
    state.put(Key.TRAIN_JOB, job.id)
    state.put(Key.TRAIN_COLLECTED, False)
    state.put(Key.TRAIN_SEEN, time.monotonic())


def submit_lesson() -> None:
    """The tutorial exactly, for the Lesson's training step."""
    submit(TUTORIAL_MODEL, TUTORIAL_TRAIN)


def current() -> Job | None:
    """This session's training as its row says now; None without one, or while the room is away."""
    from .resources import room_queue
    from .room import RoomError

    job_id = state.get(Key.TRAIN_JOB)
    if job_id is None:
        return None
    try:
        job = room_queue().get(job_id)
        if job is not None and job.running and time.monotonic() - state.get(Key.TRAIN_SEEN) > SEEN_EVERY_S:
            room_queue().seen(job_id)  # a closed tab stops telling: its training is stopped, not run for nobody
            state.put(Key.TRAIN_SEEN, time.monotonic())
    except RoomError as e:
        logger.warning("training queue unavailable: %s", e.detail or e.code)
        return None
    return job


def stop() -> None:
    """Stop this session's own training (the Stop button)."""
    from .resources import room_queue
    from .room import RoomError

    job_id = state.get(Key.TRAIN_JOB)
    try:
        if job_id is not None:
            room_queue().request_stop(job_id, owner=state.get(Key.TOKEN))
    except RoomError as e:
        state.put(Key.FLASH, ("error", f"room.error.{e.code}", {}))


def line() -> list[Job]:
    """The room's trainings: running first, then waiting, in order of arrival ([] while the room is away)."""
    from .resources import room_queue
    from .room import RoomError

    try:
        return room_queue().line()
    except RoomError:
        return []


def workers_alive() -> int | None:
    from .resources import room_queue
    from .room import RoomError

    try:
        return room_queue().workers_alive()
    except RoomError:
        return None


def nickname(code: str) -> str:
    return t("train.nick", code=code)


def status_text(job: Job) -> str:
    from .room.queue import DATA_ERROR, WORKER_LOST

    if job.status == "queued":
        jobs = line()
        running = next((j for j in jobs if j.status != "queued"), None)
        place = next((i for i, j in enumerate(jobs) if j.id == job.id), 0)
        if running is None:  # first in line: a worker takes it within a second
            return t("train.status.starting")
        wait = sum(j.seconds_left() for j in jobs[:place])
        return t("train.status.queued", place=max(1, place), who=nickname(running.nick), wait=duration(wait))
    if job.status == "training" and job.points:
        return t("train.status.epoch", epoch=job.epoch, epochs=job.train_config.epochs, percent=f"{100 * job.fraction:.0f}",
                 left=duration(job.seconds_left()))  # fmt: skip
    if job.status == "finished":
        return t("train.status.finished", seconds=f"{job.metrics['train_seconds']:.1f}")
    if job.status == "training":
        return t("train.status.training", left=duration(job.seconds_left()))
    if job.status == "failed" and job.error == WORKER_LOST:
        return t("train.status.lost")
    if job.status == "failed" and (job.error or "").startswith(DATA_ERROR):
        return t(f"data.error.{job.error.removeprefix(DATA_ERROR)}")
    return t(f"train.status.{job.status}")


def _reattach() -> None:
    """A returning browser (a reload, a restarted server) finds its training still going, or hears
    that the one it had was lost."""
    from .resources import room_queue
    from .room import RoomError
    from .room.queue import WORKER_LOST

    state.put(Key.TOKEN_CHECKED, True)
    try:
        job = room_queue().latest(state.get(Key.TOKEN))
    except RoomError:
        return
    if job is None or job.kind != "train" or state.get(Key.TRAIN_JOB) is not None:
        return  # a retraining (the presenter's) is not their own model to adopt
    if job.running:
        state.put(Key.TRAIN_JOB, job.id)
        state.put(Key.TRAIN_COLLECTED, False)
    elif job.status == "failed" and job.error == WORKER_LOST and time.time() - job.created.timestamp() < 2 * ABANDON_S:
        state.put(Key.FLASH, ("error", "train.status.lost", {}))


def collect() -> None:
    """At the top of every run: a finished training becomes the session's model and its active one."""
    if not state.get(Key.TOKEN_CHECKED):
        _reattach()
    if state.get(Key.TRAIN_JOB) is None or state.get(Key.TRAIN_COLLECTED):
        return
    job = current()
    if job is None or job.running:
        return
    state.put(Key.TRAIN_COLLECTED, True)
    if job.status == "finished":
        _adopt(job)


def _adopt(job: Job) -> None:
    from mnist_core.checkpoints import CheckpointError, load_checkpoint_bytes

    from .catalogue import ModelChoice
    from .resources import room_queue
    from .room import RoomError

    try:
        c = load_checkpoint_bytes(room_queue().payload(job.id) or b"", "trained")
    except (RoomError, CheckpointError) as e:
        logger.warning("trained model %s not readable: %s", job.id, e)
        state.put(Key.FLASH, ("error", "train.status.failed", {}))
        return
    trained = ModelChoice(OWN_MODEL, c.model, c.model_config, c.train_config, c.metrics, str(c.meta.get("created") or ""), f"trained:{job.id}")
    state.put(Key.TRAINED, trained)
    state.put(Key.ACTIVE, OWN_MODEL)
    if state.get(Key.SECTION) != "train":  # finished while its owner looked elsewhere: one line under the
        # header (a toast would cover the header's navigation and language switch at the top right)
        state.put(Key.FLASH, ("success", "train.toast", {"percent": f"{100 * c.metrics['accuracy']:.2f}"}))


def banner() -> None:
    """On the other sections, a running training shows as one line (and still ends in a full rerun)."""
    if state.get(Key.TRAIN_JOB) is None or state.get(Key.TRAIN_COLLECTED) or state.get(Key.SECTION) == "train":
        return
    job = current()
    if job is None or not job.running:
        return

    @st.fragment(run_every=QUEUE_POLL_S if job.status == "queued" else POLL_S)
    def progress_line() -> None:
        now = current()
        if now is None or not now.running:
            st.rerun()
        st.progress(now.fraction, text=t("train.banner", status=status_text(now)))

    progress_line()
