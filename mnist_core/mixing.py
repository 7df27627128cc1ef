"""Training sets with a room's drawings in them, and the room split by participant for honest scores.

A room has a few hundred drawings against MNIST's 60000 training digits: added once, they would be
half a percent of what the network sees and change nothing. So they are repeated (`repeats`) until
they are about `SHARE` of the training set (300 drawings: 10 times each, 3000 rows in 63000). The
repeats are exact copies; the epoch's shuffle spreads them over the batches.

The held-out part of a room is whole participants (`held_out`), never single drawings: the same
person's "4"s look alike, so a drawing held out beside its author's trained-on twins would score the
network on what it memorised. No streamlit here; the app and the command line both call these.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np

from .data import Split

SHARE = 0.05  # of the training rows, what the repeated drawings come to
MAX_REPEAT = 50  # a handful of drawings is not repeated into a thousand copies of itself
HELD_OUT = 1 / 3  # of the participants, those whose drawings are only scored


def repeats(n_drawings: int, n_train: int, share: float = SHARE) -> int:
    """How many times each drawing goes into the training set (at least once)."""
    if n_drawings <= 0:
        return 0
    return int(min(MAX_REPEAT, max(1, round(share * n_train / n_drawings))))


def add_drawings(split: Split, x: np.ndarray, y: np.ndarray, repeat: int) -> Split:
    """The split with the drawings x (N, 784) float32 in [0, 1], y (N,) appended `repeat` times to its
    training part (the test part unchanged)."""
    x_train = np.concatenate([split.x_train, np.tile(np.asarray(x, np.float32), (repeat, 1))])
    y_train = np.concatenate([split.y_train, np.tile(np.asarray(y, np.int64), repeat)])
    return replace(split, x_train=x_train, y_train=y_train)


def record(y: np.ndarray, repeat: int, source: str) -> dict:
    """What a checkpoint records of the drawings it trained on (plain numbers: weights_only loads them)."""
    y = np.asarray(y, np.int64)
    return {"source": source, "count": int(len(y)), "repeat": int(repeat), "rows": int(len(y) * repeat),
            "per_digit": np.bincount(y, minlength=10).tolist()}  # fmt: skip


def held_out(participants, fraction: float = HELD_OUT, salt: str = "") -> frozenset[str]:
    """The participants whose drawings are held out: a fixed share, chosen by a hash of their token
    (the same room gives the same split), at least one, and never all of them."""
    found = sorted(set(participants), key=lambda p: hashlib.sha256(f"{salt}:{p}".encode()).hexdigest())
    if len(found) < 2:
        return frozenset()
    k = min(len(found) - 1, max(1, round(fraction * len(found))))
    return frozenset(found[:k])


def split_drawings(x: np.ndarray, y: np.ndarray, who: list[str], out: frozenset[str]):
    """((x, y) trained on, (x, y) held out): every drawing of a participant in `out` is held out."""
    mask = np.fromiter((p in out for p in who), bool, len(who))
    return (x[~mask], y[~mask]), (x[mask], y[mask])
