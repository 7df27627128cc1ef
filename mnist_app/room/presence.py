"""Where the presenter is, for the room to follow: section, lesson step, test image, the digit in Inside,
and the question on screen with its status.

One row (key "presenter") that the presenter's page writes when something in it changes. `seq` grows
on every change, so a page compares one number to know whether anything moved: each app server reads
it at most twice a second for all its pages (mnist_app/presence_route.py), and a page reads the whole
row (one primary-key read) only when its seq changed. No streamlit here.
"""

from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa

from .schema import presence
from .store import RoomStore, _utcnow

ROW = "presenter"


class Position(NamedTuple):
    section: str
    lesson_step: int
    test_index: int
    inside_index: int


class Presence(NamedTuple):
    seq: int
    position: Position
    question: str | None  # the question's id
    question_status: str | None


def _from_row(r) -> Presence:
    return Presence(r.seq, Position(r.section, r.lesson_step, r.test_index, r.inside_index), r.question, r.question_status)


class Presenter:
    def __init__(self, store: RoomStore):
        self.store = store

    def read(self) -> Presence | None:
        """The presenter's last published position (None before the first): one primary-key read."""
        query = sa.select(presence).where(presence.c.key == ROW)
        with self.store._connect(write=False) as conn:
            row = conn.execute(query).first()
        return None if row is None else _from_row(row)

    def publish(self, position: Position | None = None, **question) -> Presence:
        """Write the position and/or the question (`question=id, question_status=...`); seq + 1."""
        values = dict(position._asdict()) if position is not None else {}
        values.update(question, updated=_utcnow())
        with self.store._connect(write=True) as conn:
            seq = conn.execute(sa.select(presence.c.seq).where(presence.c.key == ROW)).scalar()
            if seq is None:
                start = Position("draw", 0, 0, 0)._asdict() | {"question": None, "question_status": None}
                conn.execute(sa.insert(presence).values(key=ROW, seq=1, **(start | values)))
            else:
                conn.execute(sa.update(presence).where(presence.c.key == ROW).values(seq=seq + 1, **values))
            return _from_row(conn.execute(sa.select(presence).where(presence.c.key == ROW)).first())
