"""A training's snapshots in the room's database (`room_snapshots`): written by the worker a few
times an epoch (`Recorder`), read by the pages for the live view and the epoch slider's replay.

Every page on any server sees the same snapshots because they are rows, like the job's progress. A
snapshot is about 100 KB (64 first-layer units as float16), SNAPS_PER_EPOCH of them an epoch; they
are kept while their job's row is. No streamlit here.
"""

from __future__ import annotations

import math
import time
from typing import NamedTuple

import numpy as np
import sqlalchemy as sa

from mnist_core.snapshots import Camera, Snapshot, decode

from .schema import snapshots
from .store import RoomStore

SNAPS_PER_EPOCH = 4  # "a few times an epoch": the tutorial's epoch is ~2 s on 2 cores, the page polls every 1 s


class Stored(NamedTuple):
    step: int
    epoch: float
    weights: np.ndarray  # (rows, 784) float32 (from float16)
    predictions: list[int]
    confusion: list[list[int]]


class Snapshots:
    def __init__(self, store: RoomStore):
        self.store = store

    def add(self, job_id: str, snap: Snapshot) -> None:
        row = dict(job_id=job_id, step=snap.step, epoch=snap.epoch, rows=len(snap.weights),
                   weights=snap.weight_bytes(), predictions=snap.predictions, confusion=snap.confusion)  # fmt: skip
        with self.store._connect(write=True) as conn:
            conn.execute(sa.insert(snapshots).values(**row))

    def steps(self, job_id: str) -> list[tuple[int, float]]:
        """(step, epoch) of a job's snapshots, in order: what the slider offers."""
        query = sa.select(snapshots.c.step, snapshots.c.epoch).where(snapshots.c.job_id == job_id).order_by(snapshots.c.step)
        with self.store._connect(write=False) as conn:
            return [(int(r.step), float(r.epoch)) for r in conn.execute(query)]

    def get(self, job_id: str, step: int | None = None) -> Stored | None:
        """The snapshot at `step`, or the newest one (None: there is none yet)."""
        query = sa.select(snapshots).where(snapshots.c.job_id == job_id)
        query = query.where(snapshots.c.step == step) if step is not None else query.order_by(snapshots.c.step.desc())
        with self.store._connect(write=False) as conn:
            r = conn.execute(query.limit(1)).first()
        if r is None:
            return None
        return Stored(int(r.step), float(r.epoch), decode(r.weights, int(r.rows)), list(r.predictions), [list(x) for x in r.confusion])


class Recorder:
    """The worker's side: a snapshot before the first step, then every `batches / SNAPS_PER_EPOCH`
    steps and at the last one. A failed write is logged by the caller, never the training's end."""

    def __init__(self, sink: Snapshots, job_id: str, x_test: np.ndarray, y_test: np.ndarray, batches: int):
        self.sink, self.job_id, self.batches = sink, job_id, batches
        self.camera = Camera(x_test, y_test)
        self.every = max(1, math.ceil(batches / SNAPS_PER_EPOCH))
        self.model = None
        self.next = 0
        self.seconds = 0.0  # spent taking and writing snapshots (bench/bench_retrain.py reports it)

    def attach(self, model) -> None:
        """The network being trained (run_training's `on_model`): its untrained look is step 0."""
        self.model = model
        self.shoot(0)

    def shoot(self, step: int) -> None:
        began = time.perf_counter()
        self.next = step + self.every
        self.sink.add(self.job_id, self.camera.take(self.model, step, step / self.batches))
        self.seconds += time.perf_counter() - began

    def report(self, epoch: int, batch: int, last: bool) -> None:
        step = (epoch - 1) * self.batches + batch
        if self.model is not None and (step >= self.next or last):
            self.shoot(step)
