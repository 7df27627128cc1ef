"""A session's training: options checked, the job started, its progress told, its model collected.

The worker itself is `jobs`; this is the session's side of it. A finished training's model becomes
the session's own model and its active one, whichever section the session is on by then.
"""

from __future__ import annotations

from datetime import datetime, timezone

import streamlit as st

from mnist_core.model import ConfigError, ModelConfig
from mnist_core.train import TrainConfig

from . import jobs, state
from .i18n import t
from .models import ModelChoice
from .settings import LIMITS, POLL_S, QUEUE_POLL_S, TUTORIAL_MODEL, TUTORIAL_TRAIN, max_train_seconds
from .state import OWN_MODEL, Key


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
        if not 0 <= values[name] <= LIMITS[name] or int(values[name]) != values[name]:
            raise ConfigError(name, values[name])
    train_config = TrainConfig(epochs=int(values["epochs"]), lr=float(values["lr"]),
                               batch_size=int(values["batch_size"]), seed=int(values["seed"]))  # fmt: skip
    return model_config, train_config


class TooLong(ValueError):
    """The estimated training is longer than the server accepts."""

    def __init__(self, seconds: float):
        super().__init__(seconds)
        self.seconds = seconds


def new_job() -> jobs.TrainingJob:
    """The section's options as a job; ConfigError or TooLong for what the server will not run."""
    model_config, train_config = parse_options()
    job = jobs.TrainingJob(model_config, train_config, owner=state.get(Key.NICK))
    if job.estimate > max_train_seconds():
        raise TooLong(job.estimate)
    return job


def lesson_job() -> jobs.TrainingJob:
    """The tutorial exactly, for the Lesson's training step."""
    return jobs.TrainingJob(TUTORIAL_MODEL, TUTORIAL_TRAIN, owner=state.get(Key.NICK))


def start(job: jobs.TrainingJob, split) -> None:
    state.put(Key.TRAIN_JOB, job)
    jobs.start(job, split)


def duration(seconds: float) -> str:
    """A duration in the session's words: "1분 20초", "45 s"."""
    minutes, rest = divmod(max(0, round(seconds)), 60)
    return t("time.min_s", m=minutes, s=rest) if minutes else t("time.s", s=rest)


def nickname(code: str) -> str:
    return t("train.nick", code=code)


def status_text(job: jobs.TrainingJob) -> str:
    if job.status == "queued":
        queue = jobs.QUEUE.jobs()
        running = queue[0] if queue and queue[0] is not job else None
        who = nickname(running.owner) if running else "…"
        return t("train.status.queued", place=max(1, jobs.QUEUE.position(job)), who=who, wait=duration(jobs.QUEUE.wait_seconds(job)))
    if job.status == "training" and job.points:
        return t("train.status.epoch", epoch=job.epoch, epochs=job.train_config.epochs, percent=f"{100 * job.fraction:.0f}",
                 left=duration(job.seconds_left()))  # fmt: skip
    if job.status == "finished":
        return t("train.status.finished", seconds=f"{job.result.train_seconds:.1f}")
    if job.status == "training":
        return t("train.status.training", left=duration(job.seconds_left()))
    return t(f"train.status.{job.status}")


def collect() -> None:
    """At the top of every run: a finished training becomes the session's model and its active one."""
    job = state.get(Key.TRAIN_JOB)
    if job is None:
        return
    job.seen()
    if job.running or job.collected:
        return
    job.collected = True
    if job.status != "finished":
        return
    result = job.result
    created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    trained = ModelChoice(OWN_MODEL, result.model.cpu(), job.model_config, job.train_config, result.metrics(), created, f"trained:{job.id}")
    state.put(Key.TRAINED, trained)
    state.put(Key.ACTIVE, OWN_MODEL)
    if state.get(Key.SECTION) != "train":  # finished while its owner looked elsewhere
        st.toast(t("train.toast", percent=f"{100 * result.after.accuracy:.2f}"), icon="✅")


def banner() -> None:
    """On the other sections, a running training shows as one line (and still ends in a full rerun)."""
    job = state.get(Key.TRAIN_JOB)
    if job is None or not job.running or state.get(Key.SECTION) == "train":
        return

    @st.fragment(run_every=QUEUE_POLL_S if job.status == "queued" else POLL_S)
    def progress_line() -> None:
        job.seen()
        if not job.running:
            st.rerun()
        st.progress(job.fraction, text=t("train.banner", status=status_text(job)))

    progress_line()

