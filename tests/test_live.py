"""The live view's snapshots: written by the training worker a few times an epoch, and the network's
real weights and predictions at their step (compared with a checkpoint saved at that step)."""

from __future__ import annotations

import itertools
import threading
import time

import numpy as np
import pytest
import torch

from mnist_app import worker
from mnist_app.room import open_store
from mnist_app.room.queue import JobQueue
from mnist_app.room.snapshots import SNAPS_PER_EPOCH, Snapshots
from mnist_core.checkpoints import load_checkpoint, load_checkpoint_bytes, save_checkpoint
from mnist_core.config import ModelConfig, TrainConfig
from mnist_core.data import seed_split
from mnist_core.run import run_training
from mnist_core.snapshots import PROBE, fixed_digits

MODEL, TRAIN = ModelConfig(hidden=(16,)), TrainConfig(epochs=2, lr=0.01, batch_size=64)


@pytest.fixture
def trained(tmp_path, tiny_mnist):
    """A finished training from the room's queue, run by a worker thread: (store, job id, split)."""
    split = seed_split(tiny_mnist)
    store, stop = open_store(str(tmp_path / "room.sqlite3")), threading.Event()
    queue = JobQueue(store)
    job = queue.submit(MODEL, TRAIN, owner="a" * 32, nick="ABC", estimate=1.0)
    thread = threading.Thread(target=worker.serve, args=(store, stop), kwargs={"load": lambda: split}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while queue.get(job.id).running:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    stop.set()
    thread.join(30)
    assert queue.get(job.id).status == "finished"
    yield store, job.id, split
    store.close()


def weights_at(split, step: int, folder) -> torch.nn.Module:
    """The same training stopped after `step` steps, saved as a checkpoint and loaded back."""
    calls = itertools.count(1)
    result = run_training(MODEL, TRAIN, split, device=torch.device("cpu"), should_stop=lambda: next(calls) > step)
    path = save_checkpoint(folder / f"step{step}.pt", result.model, model_config=MODEL, train_config=TRAIN, metrics={})
    return load_checkpoint(path).model


def test_snapshots_are_the_networks_weights_at_their_step(trained, tmp_path):
    store, job_id, split = trained
    snaps = Snapshots(store)
    steps = [s for s, _ in snaps.steps(job_id)]
    batches = -(-len(split.x_train) // TRAIN.batch_size)
    assert steps[0] == 0 and steps[-1] == TRAIN.epochs * batches
    assert len(steps) >= TRAIN.epochs * SNAPS_PER_EPOCH  # a few times an epoch
    fixed = torch.as_tensor(split.x_test[fixed_digits(split.y_test)])
    for step in (steps[1], steps[len(steps) // 2]):
        snap, model = snaps.get(job_id, step), weights_at(split, step, tmp_path)
        real = model[0].weight.detach().numpy()[: len(snap.weights)]
        np.testing.assert_array_equal(snap.weights, real.astype(np.float16).astype(np.float32))
        assert snap.predictions == model(fixed).argmax(1).tolist()
        assert sum(map(sum, snap.confusion)) == min(PROBE, len(split.y_test))
    first, last = snaps.get(job_id, 0), snaps.get(job_id)
    assert not np.array_equal(first.weights, last.weights)  # it learned between them
    final = load_checkpoint_bytes(JobQueue(store).payload(job_id), "final").model
    np.testing.assert_array_equal(last.weights, final[0].weight.detach().numpy()[:16].astype(np.float16).astype(np.float32))


def test_no_snapshots_when_the_spec_says_live_false(tmp_path, tiny_mnist):
    split = seed_split(tiny_mnist)
    store, stop = open_store(str(tmp_path / "room.sqlite3")), threading.Event()
    queue = JobQueue(store)
    job = queue.submit(MODEL, TrainConfig(epochs=1, batch_size=256), owner="b" * 32, nick="XYZ", estimate=1.0, extra={"live": False})
    thread = threading.Thread(target=worker.serve, args=(store, stop), kwargs={"load": lambda: split}, daemon=True)
    thread.start()
    while queue.get(job.id).running:
        time.sleep(0.1)
    stop.set()
    thread.join(30)
    assert queue.get(job.id).status == "finished" and Snapshots(store).steps(job.id) == []
    store.close()
