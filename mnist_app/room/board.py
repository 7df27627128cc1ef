"""The room's board of trainings: every finished training (from Train or the Lesson) with its owner's
nickname, settings, accuracy before and after, seconds and curves.

The board is a view over `room_jobs`, not a table of its own: a finished job's row already holds all
of it (spec, points, before, metrics, nick, owner token), written once by the worker, so a copy could
only disagree with it. What the board adds is the presenter's removals, in `room_board_hidden` (the
old tables are never altered); clearing the board hides every run on it. Retraining jobs
(mnist_app.retrain) are the presenter's, not runs of the exercise: not on the board.
No streamlit here.
"""

from __future__ import annotations

import io
from typing import NamedTuple

import sqlalchemy as sa

from .schema import board_hidden, jobs
from .store import RoomStore, _utcnow

SETTINGS = ("lr", "hidden", "batch_size", "epochs")  # what the presenter may colour the curves by


class Run(NamedTuple):
    job_id: str
    owner: str  # the participant's token: never shown, only compared with the viewer's own
    nick: str
    lr: float
    hidden: str  # "100-100"
    batch_size: int
    epochs: int
    before: float  # test accuracy untrained
    after: float  # and trained
    seconds: float
    points: list[dict]  # {"epoch", "loss", "accuracy"}


def _run(r) -> Run | None:
    spec, metrics = r.spec or {}, r.metrics or {}
    if spec.get("kind", "train") != "train" or "accuracy" not in metrics:
        return None
    model, train = spec.get("model", {}), spec.get("train", {})
    hidden = "-".join(str(h) for h in model.get("hidden", ()))
    return Run(r.id, r.owner, r.nick, float(train.get("lr", 0)), hidden, int(train.get("batch_size", 0)), int(train.get("epochs", 0)),
               float(metrics.get("untrained_accuracy", 0)), float(metrics["accuracy"]), float(metrics.get("train_seconds", 0)),
               list(r.points or ()))  # fmt: skip


class Board:
    def __init__(self, store: RoomStore):
        self.store = store

    def runs(self) -> list[Run]:
        """The runs on the board, best test accuracy first (ties: the earlier run first)."""
        hidden = sa.select(board_hidden.c.job_id)
        query = sa.select(jobs.c.id, jobs.c.owner, jobs.c.nick, jobs.c.spec, jobs.c.metrics, jobs.c.points)
        query = query.where(jobs.c.status == "finished", jobs.c.id.not_in(hidden)).order_by(jobs.c.seq)
        with self.store._connect(write=False) as conn:
            found = [_run(r) for r in conn.execute(query)]
        return sorted((r for r in found if r is not None), key=lambda r: -r.after)

    def hide(self, job_id: str) -> bool:
        """Take one run off the board; False if it is not on it."""
        if job_id not in {r.job_id for r in self.runs()}:
            return False
        with self.store._connect(write=True) as conn:
            conn.execute(sa.insert(board_hidden).values(job_id=job_id, hidden=_utcnow()))
        return True

    def clear(self) -> int:
        """Take every run off the board; how many."""
        ids = [r.job_id for r in self.runs()]
        if ids:
            now = _utcnow()
            with self.store._connect(write=True) as conn:
                conn.execute(sa.insert(board_hidden), [{"job_id": i, "hidden": now} for i in ids])
        return len(ids)


def standing(runs: list[Run], owner: str) -> tuple[int, int] | None:
    """(place, of how many) of this participant's best run, or None if they have none on the board."""
    for place, run in enumerate(runs, start=1):
        if run.owner == owner:
            return place, len(runs)
    return None


def table(runs: list[Run]):
    """The board as a pandas DataFrame, ranked: what the page shows and the CSV holds (no tokens)."""
    import pandas as pd

    rows = [{"rank": i, "nick": r.nick, "lr": r.lr, "hidden": r.hidden, "batch_size": r.batch_size, "epochs": r.epochs,
             "accuracy_before": round(r.before, 4), "accuracy_after": round(r.after, 4), "seconds": r.seconds}
            for i, r in enumerate(runs, start=1)]  # fmt: skip
    return pd.DataFrame(rows, columns=["rank", "nick", "lr", "hidden", "batch_size", "epochs", "accuracy_before", "accuracy_after", "seconds"])


def csv_bytes(runs: list[Run]) -> bytes:
    buffer = io.StringIO()
    table(runs).to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8")
