"""The room's shelf: the models participants saved, who owns each, and the model new sessions start on.

A saved model is its checkpoint file's bytes in the database (`room_models`), so a model saved through
one app server is listed and loaded by every other; its name is the primary key, so two servers
saving one name cannot both succeed. The owner is the saving participant's token (unguessable, never
shown); the nickname beside it is for display only. The shipped checkpoints stay files that every
server has (`checkpoints/`); the room's default may name either kind.
No streamlit here: the page and the worker call these methods; every database failure is RoomError.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import NamedTuple

import sqlalchemy as sa

from mnist_core.checkpoints import check_name

from .records import RoomError
from .schema import models, settings
from .store import RoomStore, _utcnow

DEFAULT_KEY = "default_model"
NAME_TAKEN = "name_taken"  # RoomError code: a model of that name exists already
NOT_YOURS = "not_yours"  # RoomError code: deleting a model that is not the caller's (or no such model)


class SavedModel(NamedTuple):
    """A row of the shelf, without its bytes."""

    name: str
    created: datetime  # UTC, timezone-aware
    owner: str  # a participant's token
    nick: str
    accuracy: float
    size: int  # bytes of the checkpoint


class Shelf:
    """Saved models and the default, in the room's database."""

    def __init__(self, store: RoomStore):
        self.store = store

    def save(self, name: str, payload: bytes, *, owner: str, nick: str, accuracy: float) -> None:
        """Store a checkpoint under `name`; RoomError(NAME_TAKEN) if the name exists on any server.
        ValueError for a name that is not a checkpoint name (mnist_core.checkpoints.check_name)."""
        check_name(name)
        with self.store._connect(write=True) as conn:
            if conn.execute(sa.select(models.c.name).where(models.c.name == name)).first() is not None:
                raise RoomError(NAME_TAKEN, name)
            try:
                with conn.begin_nested():  # the loser of a race between two servers ends here
                    conn.execute(sa.insert(models).values(name=name, created=_utcnow(), owner=owner, nick=nick,
                                                          accuracy=float(accuracy), payload=payload))  # fmt: skip
            except sa.exc.IntegrityError:
                raise RoomError(NAME_TAKEN, name) from None

    def list(self) -> list[SavedModel]:
        size = sa.func.length(models.c.payload)
        query = sa.select(models.c.name, models.c.created, models.c.owner, models.c.nick, models.c.accuracy, size)
        with self.store._connect(write=False) as conn:
            rows = conn.execute(query.order_by(models.c.created)).all()
        return [SavedModel(r[0], r[1].replace(tzinfo=timezone.utc), r[2], r[3], float(r[4]), int(r[5] or 0)) for r in rows]

    def payload(self, name: str) -> bytes | None:
        with self.store._connect(write=False) as conn:
            return conn.execute(sa.select(models.c.payload).where(models.c.name == name)).scalar()

    def delete(self, name: str, *, owner: str | None) -> None:
        """Delete a saved model: the owner's own (`owner` their token), or any (`owner=None`: the
        presenter, checked by the page). RoomError(NOT_YOURS) when nothing of theirs has that name."""
        query = sa.delete(models).where(models.c.name == name)
        query = query if owner is None else query.where(models.c.owner == owner)
        with self.store._connect(write=True) as conn:
            if conn.execute(query).rowcount == 0:
                raise RoomError(NOT_YOURS, name)
            if self._default(conn) == name:  # the room falls back to the shipped default
                conn.execute(sa.delete(settings).where(settings.c.key == DEFAULT_KEY))

    def _default(self, conn: sa.Connection) -> str | None:
        return conn.execute(sa.select(settings.c.value).where(settings.c.key == DEFAULT_KEY)).scalar()

    def default(self) -> str | None:
        """The name of the model new sessions start on, if the presenter chose one."""
        with self.store._connect(write=False) as conn:
            return self._default(conn)

    def set_default(self, name: str) -> None:
        check_name(name)
        with self.store._connect(write=True) as conn:
            if conn.execute(sa.update(settings).where(settings.c.key == DEFAULT_KEY).values(value=name)).rowcount == 0:
                conn.execute(sa.insert(settings).values(key=DEFAULT_KEY, value=name))
