"""The presenter's questions to the room and the participants' answers.

A question is open (answers taken, one per participant token, changeable), closed (no more answers),
revealed (the room's histogram and the truth shown to everyone) or ended (off the screen). At most one
question is on screen: opening one ends the others. The truth is stored with the question, but a
participant's page reads it only once the status is revealed (`Question.truth_if_revealed`).
Whether the caller may open, close or reveal is mnist_app.presenter's to decide, not this module's.
No streamlit here.
"""

from __future__ import annotations

import uuid
from typing import NamedTuple

import sqlalchemy as sa

from .schema import answers, questions
from .store import RoomStore, _utcnow

KINDS = ("predict", "untrained", "setting")
OPEN, CLOSED, REVEALED, ENDED = "open", "closed", "revealed", "ended"
STATUSES = (OPEN, CLOSED, REVEALED, ENDED)
# "How many of the test images will the untrained network get right?": ranges as shares of the test
# set. A freshly initialised 10-class network guesses about one in ten (the tutorial's: 1,019 of 10,000).
UNTRAINED_EDGES = (0.0, 0.05, 0.09, 0.12, 0.2, 1.0)


class Question(NamedTuple):
    id: str
    kind: str
    status: str
    spec: dict  # {"choices": [labels that read the same in both languages], ...the kind's own}
    picture: bytes | None
    truth: dict | None  # {"choice": int, ...}

    @property
    def choices(self) -> list[str]:
        return list(self.spec["choices"])

    def truth_if_revealed(self) -> dict | None:
        return self.truth if self.status == REVEALED else None


def untrained_choices(total: int) -> list[tuple[int, int]]:
    """The ranges of right answers (first, last) for a test set of `total` images."""
    edges = [round(total * e) for e in UNTRAINED_EDGES]
    return [(edges[i], edges[i + 1] - 1 if i < len(edges) - 2 else total) for i in range(len(edges) - 1)]


def range_choice(correct: int, ranges: list[tuple[int, int]]) -> int:
    return next(i for i, (first, last) in enumerate(ranges) if first <= correct <= last)


def _question(r) -> Question:
    return Question(r.id, r.kind, r.status, dict(r.spec), r.picture, r.truth)


class Questions:
    def __init__(self, store: RoomStore):
        self.store = store

    def open(self, kind: str, spec: dict, *, picture: bytes | None = None, truth: dict | None = None) -> Question:
        """A new open question; every other question leaves the screen (ended)."""
        if kind not in KINDS or not spec.get("choices"):
            raise ValueError(f"bad question: {kind} {spec}")
        row = {"id": uuid.uuid4().hex, "created": _utcnow(), "kind": kind, "status": OPEN, "spec": spec, "picture": picture, "truth": truth}
        with self.store._connect(write=True) as conn:
            conn.execute(sa.update(questions).where(questions.c.status != ENDED).values(status=ENDED))
            conn.execute(sa.insert(questions).values(**row))
        return self.get(row["id"])

    def get(self, question_id: str) -> Question | None:
        with self.store._connect(write=False) as conn:
            row = conn.execute(sa.select(questions).where(questions.c.id == question_id)).first()
        return None if row is None else _question(row)

    def set_status(self, question_id: str, status: str, truth: dict | None = None) -> bool:
        """Close, reveal (with the truth, if it is known only now) or end; False for no such question."""
        if status not in STATUSES:
            raise ValueError(status)
        values = {"status": status} | ({"truth": truth} if truth is not None else {})
        with self.store._connect(write=True) as conn:
            return conn.execute(sa.update(questions).where(questions.c.id == question_id).values(**values)).rowcount == 1

    def answer(self, question_id: str, token: str, choice: int) -> bool:
        """The participant's answer (replacing theirs); False unless the question is open and the choice one of its."""
        with self.store._connect(write=True) as conn:
            row = conn.execute(sa.select(questions.c.status, questions.c.spec).where(questions.c.id == question_id)).first()
            if row is None or row.status != OPEN or not 0 <= int(choice) < len(row.spec["choices"]):
                return False
            mine = (answers.c.question_id == question_id) & (answers.c.token == token)
            values = {"choice": int(choice), "updated": _utcnow()}
            if conn.execute(sa.update(answers).where(mine).values(**values)).rowcount == 0:
                conn.execute(sa.insert(answers).values(question_id=question_id, token=token, **values))
        return True

    def mine(self, question_id: str, token: str) -> int | None:
        mine = (answers.c.question_id == question_id) & (answers.c.token == token)
        with self.store._connect(write=False) as conn:
            return conn.execute(sa.select(answers.c.choice).where(mine)).scalar()

    def counts(self, question_id: str, n_choices: int) -> list[int]:
        """How many chose each choice (the histogram)."""
        query = sa.select(answers.c.choice, sa.func.count()).where(answers.c.question_id == question_id).group_by(answers.c.choice)
        found = [0] * n_choices
        with self.store._connect(write=False) as conn:
            for choice, n in conn.execute(query):
                if 0 <= choice < n_choices:
                    found[choice] = n
        return found
