"""mnist_app.jobs, the training worker, driven directly: no streamlit, no page."""

from __future__ import annotations

import threading
import time

import pytest

from mnist_app import jobs
from mnist_core.model import ModelConfig
from mnist_core.train import TrainConfig
from test_core_run import tiny_split


def job(epochs: int = 1) -> jobs.TrainingJob:
    return jobs.TrainingJob(ModelConfig(hidden=(16,)), TrainConfig(epochs=epochs, batch_size=16))


def wait(j: jobs.TrainingJob, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while j.running:
        assert time.monotonic() < deadline, j.status
        time.sleep(0.02)


def test_a_job_runs_to_the_end_and_keeps_its_result():
    j = job(epochs=2)
    jobs.start(j, tiny_split())
    wait(j)
    assert j.status == "finished" and j.result.after.accuracy > j.result.before.accuracy + 0.3
    assert j.before is j.result.before and j.points and j.fraction == 1.0
    assert j.points[-1]["epoch"] == 2


def test_stop_while_waiting_for_the_slot_never_trains():
    slot, j = threading.Lock(), job()
    slot.acquire()  # another session is training
    thread = threading.Thread(target=jobs.run_job, args=(j, tiny_split(), slot))
    thread.start()
    time.sleep(0.3)
    assert j.status == "queued"
    j.stop.set()
    thread.join(5)
    assert j.status == "stopped" and j.result is None and j.before is None


def test_a_job_nobody_looks_at_is_stopped(monkeypatch):
    monkeypatch.setattr(jobs, "ABANDON_S", 0.0)  # the page stopped polling long ago
    j = job(epochs=50)
    jobs.run_job(j, tiny_split(), threading.Lock())
    assert j.status == "stopped" and j.result is None


def test_one_training_at_a_time():
    slot = threading.Lock()
    first, second = job(epochs=3), job(epochs=1)
    threads = [threading.Thread(target=jobs.run_job, args=(j, tiny_split(), slot)) for j in (first, second)]
    threads[0].start()
    time.sleep(0.05)
    threads[1].start()
    while first.running:
        assert second.status in ("queued", "finished") and not (second.status == "finished" and first.running)
        time.sleep(0.005)
    for thread in threads:
        thread.join(30)
    assert first.status == second.status == "finished"


def test_a_failure_is_one_line_and_releases_the_slot(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("out of memory\n  at layer 2")

    monkeypatch.setattr(jobs, "run_training", broken)
    slot, j = threading.Lock(), job()
    jobs.run_job(j, tiny_split(), slot)
    assert j.status == "failed" and j.error == "out of memory at layer 2"
    assert slot.acquire(blocking=False)


@pytest.mark.parametrize("threads", ["1", "3"])
def test_the_thread_count_setting(monkeypatch, threads):
    from mnist_app.settings import train_threads

    monkeypatch.setenv("MNIST_APP_TRAIN_THREADS", threads)
    assert train_threads(2) == int(threads)
    monkeypatch.delenv("MNIST_APP_TRAIN_THREADS")
    assert train_threads(2) == 2
