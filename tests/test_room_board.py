"""The board (a view over room_jobs, with room_board_hidden) and the live view's snapshots, on SQLite
and PostgreSQL: finished trainings only, retrainings never, ranked; hide and clear; snapshots round-trip."""

from __future__ import annotations

import numpy as np

from mnist_app.room import open_store
from mnist_app.room.board import Board, csv_bytes, standing
from mnist_app.room.queue import JobQueue
from mnist_app.room.snapshots import Snapshots
from mnist_core.config import ModelConfig, TrainConfig
from mnist_core.snapshots import Snapshot


def finished(queue: JobQueue, owner: str, accuracy: float, extra: dict | None = None, lr: float = 0.01) -> str:
    job = queue.submit(ModelConfig(hidden=(16,)), TrainConfig(lr=lr), owner=owner, nick=owner[:3].upper(), estimate=1.0, extra=extra)
    assert queue.claim("w").id == job.id
    queue.finish(job.id, "w", status="finished", metrics={"accuracy": accuracy, "untrained_accuracy": 0.1, "train_seconds": 2.5})
    return job.id


def test_the_board_ranks_finished_trainings_and_the_presenter_hides_them(location):
    store = open_store(location)
    queue, board = JobQueue(store), Board(store)
    low, high = finished(queue, "a" * 32, 0.90), finished(queue, "b" * 32, 0.95, lr=0.5)
    finished(queue, "c" * 32, 0.99, extra={"kind": "retrain", "base": "tutorial", "rows": 100, "salt": "x"})
    queue.submit(ModelConfig(), TrainConfig(), owner="d" * 32, nick="DDD", estimate=1.0)  # still waiting
    runs = board.runs()
    assert [r.job_id for r in runs] == [high, low] and runs[0].lr == 0.5 and runs[0].hidden == "16"
    assert standing(runs, "a" * 32) == (2, 2) and standing(runs, "d" * 32) is None
    assert "a" * 32 not in csv_bytes(runs).decode()
    assert board.hide(high) and not board.hide(high) and [r.job_id for r in board.runs()] == [low]
    assert board.clear() == 1 and board.runs() == [] and queue.get(low).status == "finished"
    store.close()


def test_snapshots_round_trip(location):
    store = open_store(location)
    snaps = Snapshots(store)
    weights = np.random.default_rng(0).normal(size=(64, 784)).astype(np.float16)
    for step in (0, 5, 10):
        snaps.add("j" * 32, Snapshot(step, step / 10, weights + step, [1] * 10, [[step] * 10] * 10))
    assert snaps.steps("j" * 32) == [(0, 0.0), (5, 0.5), (10, 1.0)]
    got = snaps.get("j" * 32, 5)
    np.testing.assert_array_equal(got.weights, (weights + 5).astype(np.float32))
    assert got.confusion[0] == [5] * 10 and snaps.get("j" * 32).step == 10 and snaps.get("x" * 32) is None
    store.close()
