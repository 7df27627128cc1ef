"""mnist_app.jobs, the training worker, driven directly: no streamlit, no page."""

from __future__ import annotations

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


def test_stop_while_waiting_never_trains_and_leaves_the_queue():
    queue, ahead, j = jobs.TrainingQueue(), job(), job()
    queue.enter(ahead)  # another session's training, running
    thread = jobs.start(j, tiny_split(), queue)
    time.sleep(0.3)
    assert j.status == "queued" and queue.position(j) == 1
    j.stop.set()
    thread.join(5)
    assert j.status == "stopped" and j.result is None and j.before is None
    assert queue.jobs() == [ahead]


def test_a_job_nobody_looks_at_is_stopped(monkeypatch):
    monkeypatch.setattr(jobs, "ABANDON_S", 0.0)  # the page stopped polling long ago
    queue, j = jobs.TrainingQueue(), job(epochs=50)
    queue.enter(j)
    jobs.run_job(j, tiny_split(), queue)
    assert j.status == "stopped" and j.result is None and queue.jobs() == []


def test_one_training_at_a_time_first_come_first_served():
    queue, holder = jobs.TrainingQueue(), job()
    queue.enter(holder)  # another session's training holds the slot while the four line up
    trainings = [job(epochs=3), job(epochs=1), job(epochs=1), job(epochs=1)]
    finished: list[jobs.TrainingJob] = []
    threads = [jobs.start(j, tiny_split(), queue) for j in trainings]
    assert [queue.position(j) for j in trainings] == [1, 2, 3, 4]
    assert queue.wait_seconds(trainings[0]) < queue.wait_seconds(trainings[1]) < queue.wait_seconds(trainings[3])
    queue.leave(holder)
    while any(j.running for j in trainings):
        running = [j for j in trainings if j.status in ("untrained", "training", "testing")]
        assert len(running) <= 1
        finished.extend(j for j in trainings if j.status == "finished" and j not in finished)
        time.sleep(0.002)
    for thread in threads:
        thread.join(30)
    finished.extend(j for j in trainings if j not in finished)
    assert finished == trainings and queue.jobs() == []


def test_a_failure_is_one_line_and_releases_the_slot(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("out of memory\n  at layer 2")

    monkeypatch.setattr(jobs, "run_training", broken)
    queue, j = jobs.TrainingQueue(), job()
    queue.enter(j)
    jobs.run_job(j, tiny_split(), queue)
    assert j.status == "failed" and j.error == "out of memory at layer 2"
    assert queue.jobs() == []  # the next in line gets its turn


def test_time_left_starts_from_the_estimate_and_follows_the_pace():
    j = job(epochs=10)
    assert j.seconds_left() == j.estimate > 0
    j.started, j.fraction = time.monotonic() - 30, 0.5  # half done in 30 s
    assert j.seconds_left() == pytest.approx(30, rel=0.01)


@pytest.mark.parametrize("threads", ["1", "3"])
def test_the_thread_count_setting(monkeypatch, threads):
    from mnist_app.settings import train_threads

    monkeypatch.setenv("MNIST_APP_TRAIN_THREADS", threads)
    assert train_threads(2) == int(threads)
    monkeypatch.delenv("MNIST_APP_TRAIN_THREADS")
    assert train_threads(2) == 2
