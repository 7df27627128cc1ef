"""The room's drawings read again by one model (the active one, or another to compare with), for the Room
section's figures that refresh with the wall.

The digit the model reads in each drawing is kept by drawing id, so a refresh reads only the drawings
added since the last one: best_mlp reads 1000 drawings in 0.57 s on the 2-core machine (busy), which a
room adding a drawing every few seconds would otherwise pay at every refresh, for each model shown.
A reading is kept by (id, created): ids are not reused within a database, and a room file deleted and
made anew mid-workshop (store.py opens the new one) starts its ids again, at other times.
No streamlit here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import sqlalchemy as sa
from sklearn.metrics import confusion_matrix

from mnist_core.evaluation import Evaluation

from .records import N_PIXELS
from .schema import drawings
from .store import RoomStore


class Rescorer:
    """One model's readings of the room. `read(x)`: the digits (N,) it reads in inputs (N, 784) in [0, 1].
    Thread-safe: sessions of one server share one per model."""

    def __init__(self, store: RoomStore, read: Callable[[np.ndarray], np.ndarray]):
        self.store, self.read = store, read
        self._digits: dict[tuple, int] = {}  # (id, created) -> the digit read
        self._lock = threading.Lock()

    def evaluation(self) -> Evaluation:
        """The confusion matrix of the visible drawings (row: the digit meant, column: the digit read)."""
        query = (
            sa.select(drawings.c.id, drawings.c.created, drawings.c.label)
            .where(~drawings.c.hidden)
            .order_by(drawings.c.id)
        )
        with self.store._connect(write=False) as conn:
            rows = [((r.id, r.created), r.label) for r in conn.execute(query).all()]
        with self._lock:
            new = [key for key, _ in rows if key not in self._digits]
        if new:
            digits = np.asarray(self.read(self._inputs([i for i, _ in new]))).astype(int)
            with self._lock:
                self._digits.update(zip(new, digits.tolist()))
        if not rows:
            return Evaluation(tuple((0,) * 10 for _ in range(10)))
        with self._lock:
            read = [self._digits[key] for key, _ in rows]
        matrix = confusion_matrix([label for _, label in rows], read, labels=range(10))
        return Evaluation(tuple(tuple(int(v) for v in row) for row in matrix))

    def _inputs(self, ids: list[int]) -> np.ndarray:
        """The 28x28 inputs of these drawings, (N, 784) float32 in [0, 1], in the order of `ids`."""
        found = {}  # a drawing deleted meanwhile (a clear) is read as an empty picture: gone at the next refresh
        with self.store._connect(write=False) as conn:
            for start in range(0, len(ids), 500):  # within every database's limit on bound parameters
                chunk = ids[start : start + 500]
                query = sa.select(drawings.c.id, drawings.c.input28).where(drawings.c.id.in_(chunk))
                found.update({r.id: r.input28 for r in conn.execute(query).all()})
        images = np.frombuffer(b"".join(found.get(i, bytes(N_PIXELS)) for i in ids), dtype=np.uint8)
        return images.reshape(len(ids), N_PIXELS).astype(np.float32) / 255.0
