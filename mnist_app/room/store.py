"""The room's database: every participant's labelled drawings, for the presenter's wall and the export.

A real database through SQLAlchemy Core, so the same code runs on SQLite (the default: one file
outside the repository, set up in sqlite_file.py) and on PostgreSQL (several app servers behind a
load balancer, one room). Every database failure becomes RoomError("unavailable").
No streamlit here: the page keeps one RoomStore per process (it is thread-safe) and calls its methods.

Every call has a deadline (`timeout_s`, 5 s unless $MNIST_ROOM_TIMEOUT_S says otherwise): SQLite's busy
timeout and this process's write queue; on PostgreSQL a statement timeout, TCP keepalives, the connect
and pool timeouts, and a deadline on every wait for the server (deadlines.py), so a paused or
unreachable server answers "unavailable" in seconds and the pool reconnects once it is back. A SQLite
file deleted or replaced while the app runs is noticed before each transaction (its inode changes):
the store drops its connections to the old file and opens the room again in the new one (its schema
created if missing); a write that is not in the file at the path is refused, never reported stored.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator, NamedTuple

import numpy as np
import sqlalchemy as sa
from sklearn.metrics import confusion_matrix

from mnist_core.drawings import save_drawings
from mnist_core.evaluation import Evaluation

from ..settings import room_location, room_timeout_s
from . import deadlines, schema, sqlite_file
from .records import BAD_LOCATION, FLOOD, N_PIXELS, UNAVAILABLE, Drawing, RoomError, check_entry
from .schema import drawings

logger = logging.getLogger(__name__)

# Advisory locks' first key, the room's own ("ROOM"), so other modules' advisory locks never meet these.
FLOOD_LOCK = 0x524F4F4D
FLOOD_PER_MINUTE = 30  # a person drawing flat out manages ~10 a minute; more is a script or a stuck key


class Score(NamedTuple):
    right: int
    total: int


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)  # stored naive: SQLite has no time zones


def _first_line(error: BaseException) -> str:
    error = getattr(error, "orig", None) or error  # SQLAlchemy's wrapper adds the SQL and a URL to docs
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _engine(location: str, timeout_s: float) -> tuple[sa.Engine, Path | None]:
    """The engine for a SQLAlchemy URL (has '://') or a file path, and the path (None for a URL)."""
    path = None if "://" in location else Path(location).expanduser()
    try:
        url = sa.make_url(location) if path is None else sa.URL.create("sqlite", database=str(path))
        options = {"pool_timeout": timeout_s, "pool_pre_ping": url.get_backend_name() != "sqlite"}
        if url.get_driver_name() == "psycopg2":
            options["connect_args"] = deadlines.libpq_limits(url, timeout_s)
            deadlines.install()
        engine = sa.create_engine(url, **options)
    except (sa.exc.ArgumentError, ImportError, ValueError) as e:
        raise RoomError(BAD_LOCATION, f"{location.split('@')[-1]}: {_first_line(e)}") from None
    if engine.dialect.name == "sqlite":
        sqlite_file.setup(engine, timeout_s, path)
    return engine, path


def open_store(location: str | None = None, *, timeout_s: float | None = None,
               flood_per_minute: int = FLOOD_PER_MINUTE) -> RoomStore:  # fmt: skip
    """The room at `location`: a SQLAlchemy URL (e.g. postgresql+psycopg2://user@host/db) or a SQLite
    file path; None means $MNIST_ROOM_DB, else ~/.local/share/mnist_mlp_demo/room.sqlite3.
    `timeout_s`: the longest one wait for the database lasts; None means $MNIST_ROOM_TIMEOUT_S, else 5.

    Nothing is connected yet: the first call creates the schema, and a database that is down now
    raises RoomError("unavailable") from each call until it is back. RoomError("bad_location") here.
    """
    location = location or room_location()
    try:
        timeout_s = room_timeout_s() if timeout_s is None else timeout_s
    except ValueError as e:
        raise RoomError(BAD_LOCATION, str(e)) from None
    engine, path = _engine(location, timeout_s)
    return RoomStore(engine, path=path, flood_per_minute=flood_per_minute, timeout_s=timeout_s)


class RoomStore:
    """The room's drawings. Thread-safe; every method raises RoomError (see records.CODES)."""

    def __init__(self, engine: sa.Engine, *, path: Path | None, flood_per_minute: int, timeout_s: float):
        self.engine, self.path, self.flood_per_minute = engine, path, flood_per_minute
        self.where = engine.url.render_as_string(hide_password=True)  # for logs
        self._ready = False
        self._ready_lock = threading.Lock()
        self._watch = None if path is None else sqlite_file.Watch(path)  # the file the schema was ensured in
        # SQLite has one writer at a time. Threads of this process queue here; left to SQLite's busy
        # handler (sleeps of up to 100 ms, retried) the slowest of 300 adds by 30 threads took 1.2-1.9 s,
        # queued here 0.2 s (busy_timeout still serves other processes on the same file).
        self._write_lock = threading.Lock() if engine.dialect.name == "sqlite" else None
        self._timeout_s = timeout_s

    # ------------------------------------------------------------------------------------ plumbing

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Any failure of the database (or of its folder) -> RoomError("unavailable"), one line."""
        try:
            yield
        except (sa.exc.SQLAlchemyError, self.engine.dialect.loaded_dbapi.Error, OSError) as e:
            self._ready = False  # the next call checks the schema again: the database may be a new one
            logger.warning("room database %s unavailable: %s", self.where, _first_line(e))
            raise RoomError(UNAVAILABLE, f"{self.where}: {_first_line(e)}") from None

    def _ensure(self) -> None:
        """Create the schema on first use, and again after a failure or in a SQLite file that replaced
        the one it was made in; two servers starting together may race."""
        with self._ready_lock:
            if self._watch is not None and self._watch.moved():
                logger.warning("room database %s was deleted or replaced: the room opens again there", self.where)
                self.engine.dispose()  # its connections hold the old file open and would write into it
                self._watch.forget()
                self._ready = False
            if self._ready:
                return
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.engine.connect() as conn, conn.begin():  # on SQLite this creates a missing file
                if self._watch is not None:
                    self._watch.remember()
                ready = schema.is_current(conn)
            for attempt in range(2 * (not ready)):
                try:
                    with self.engine.connect().execution_options(room_write=True) as conn, conn.begin():
                        schema.ensure(conn)
                    break
                except sa.exc.DBAPIError:  # on PostgreSQL the loser of a CREATE TABLE race; it exists now
                    if attempt:
                        raise
                    time.sleep(0.2)
            self._ready = True

    @contextmanager
    def _queue(self, write: bool) -> Iterator[None]:
        if not (write and self._write_lock):
            yield
            return
        if not self._write_lock.acquire(timeout=self._timeout_s):
            raise RoomError(UNAVAILABLE, f"{self.where}: busy, waited {self._timeout_s:g} s to write")
        try:
            yield
        finally:
            self._write_lock.release()

    def _checkout(self, write: bool) -> sa.Connection:
        # One deadline for the pool's ping and, if the ping found the connection dead, the new connection.
        with deadlines.until(time.monotonic() + self._timeout_s):
            return self.engine.connect().execution_options(room_write=write)

    @contextmanager
    def _connect(self, *, write: bool) -> Iterator[sa.Connection]:
        """One transaction (BEGIN IMMEDIATE for a write on SQLite); each wait in it at most timeout_s."""
        with self._guard(), deadlines.waits(self._timeout_s):
            with deadlines.until(time.monotonic() + self._timeout_s):
                self._ensure()
            with self._queue(write), self._checkout(write) as conn:
                with conn.begin():
                    yield conn
                if write and self._watch is not None:
                    if not sqlite_file.written_to_the_path(conn, self._watch.path):
                        # Committed to a file deleted or replaced meanwhile: the drawing is not in the room's file.
                        raise RoomError(UNAVAILABLE, f"{self.where}: the file was deleted or replaced during a write")
                    self._watch.written()

    def close(self) -> None:
        self.engine.dispose()

    # -------------------------------------------------------------------------------------- writing

    def add(self, *, session_id: str, label: int, model: str, predicted: int, probabilities,
            input28, thumbnail: bytes) -> int:  # fmt: skip
        """Store one drawing and return its id. `input28`: the model's 28x28 input (784 floats in
        [0, 1] or uint8); `thumbnail`: a PNG of at most 112x112 (records.thumbnail_png makes one).

        Refused with nothing stored: bad_label, bad_input, empty, too_large, and flood when the
        participant (`session_id`: their token) stored `flood_per_minute` drawings in the last 60 s,
        counted in the database under a lock, so the limit holds for concurrent taps on several servers.
        """
        row = check_entry(session_id=session_id, label=label, model=model, predicted=predicted,
                          probabilities=probabilities, input28=input28, thumbnail=thumbnail)  # fmt: skip
        now = _utcnow()
        with self._connect(write=True) as conn:
            self._lock_participant(conn, session_id)
            since = sa.and_(drawings.c.session_id == session_id, drawings.c.created > now - timedelta(minutes=1))
            if conn.execute(sa.select(sa.func.count()).where(since)).scalar_one() >= self.flood_per_minute:
                raise RoomError(FLOOD, f"session {session_id[:8]} stored {self.flood_per_minute} in the last minute")
            result = conn.execute(sa.insert(drawings).values(created=now, hidden=False, **row))
            return int(result.inserted_primary_key[0])

    @staticmethod
    def _lock_participant(conn: sa.Connection, session_id: str) -> None:
        """Make counting and inserting one step: SQLite's BEGIN IMMEDIATE already holds the only write
        lock; on PostgreSQL one participant's adds take turns on an advisory lock (until commit)."""
        if conn.dialect.name == "postgresql":
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(FLOOD_LOCK, sa.func.hashtext(session_id))))

    def hide(self, drawing_id: int, hidden: bool = True) -> bool:
        """Hide a drawing from the walls, counts, scores and export (or show it again); False if no such id."""
        with self._connect(write=True) as conn:
            done = conn.execute(sa.update(drawings).where(drawings.c.id == int(drawing_id)).values(hidden=bool(hidden)))
            return done.rowcount > 0

    def clear(self) -> int:
        """Delete every drawing of the room (the page asks for confirmation first); how many were deleted."""
        with self._connect(write=True) as conn:
            return conn.execute(sa.delete(drawings)).rowcount

    # -------------------------------------------------------------------------------------- reading

    def _drawings(self, where, limit: int, per_participant: int | None = None) -> list[Drawing]:
        columns = [c for c in drawings.c if c.name != "input28"]
        if per_participant is not None:  # each participant's newest `per_participant` only (a window function)
            rank = sa.func.row_number().over(partition_by=drawings.c.session_id, order_by=drawings.c.id.desc())
            ranked = sa.select(drawings.c.id, rank.label("rank")).where(where).subquery()
            where = drawings.c.id.in_(sa.select(ranked.c.id).where(ranked.c.rank <= max(0, int(per_participant))))
        query = sa.select(*columns).where(where).order_by(drawings.c.id.desc()).limit(max(0, int(limit)))
        with self._connect(write=False) as conn:
            rows = conn.execute(query).all()
        return [Drawing(**(r._asdict() | {"created": r.created.replace(tzinfo=timezone.utc),
                                          "probabilities": tuple(r.probabilities)})) for r in rows]  # fmt: skip

    def recent(self, limit: int = 40, include_hidden: bool = False, per_participant: int | None = None) -> list[Drawing]:  # fmt: skip
        """The newest first (the wall); with `per_participant`, only each participant's newest that many."""
        return self._drawings(sa.true() if include_hidden else ~drawings.c.hidden, limit, per_participant)

    def wrong(self, limit: int = 40, per_participant: int | None = None) -> list[Drawing]:
        """The newest visible drawings the model read wrong first ("fooled the model"); `per_participant` as for recent."""
        return self._drawings(~drawings.c.hidden & (drawings.c.predicted != drawings.c.label), limit, per_participant)

    def counts(self) -> tuple[int, ...]:
        """Visible drawings per intended digit, 0 to 9."""
        query = sa.select(drawings.c.label, sa.func.count()).where(~drawings.c.hidden).group_by(drawings.c.label)
        with self._connect(write=False) as conn:
            found = dict(conn.execute(query).all())
        return tuple(int(found.get(d, 0)) for d in range(10))

    def confusion(self, model: str | None = None) -> Evaluation:
        """The visible drawings' confusion matrix (row: meant, column: predicted), of one model's
        predictions or of all; `.accuracy`, `.correct`, `.total` as for the test set."""
        query = sa.select(drawings.c.label, drawings.c.predicted).where(~drawings.c.hidden)
        query = query if model is None else query.where(drawings.c.model == model)
        with self._connect(write=False) as conn:
            pairs = np.array(conn.execute(query).all(), dtype=np.int64).reshape(-1, 2)
        matrix = confusion_matrix(pairs[:, 0], pairs[:, 1], labels=range(10)) if len(pairs) else np.zeros((10, 10))
        return Evaluation(tuple(tuple(int(v) for v in row) for row in matrix))

    def session_score(self, session_id: str) -> Score:
        """(right, total) over the session's own drawings, hidden ones included: they are still theirs."""
        right = sa.func.sum(sa.case((drawings.c.predicted == drawings.c.label, 1), else_=0))
        query = sa.select(right, sa.func.count()).where(drawings.c.session_id == session_id)
        with self._connect(write=False) as conn:
            found = conn.execute(query).one()
        return Score(int(found[0] or 0), int(found[1]))

    def _inputs(self, include_hidden: bool) -> tuple[np.ndarray, np.ndarray]:
        query = sa.select(drawings.c.input28, drawings.c.label).order_by(drawings.c.id)
        query = query if include_hidden else query.where(~drawings.c.hidden)
        with self._connect(write=False) as conn:
            rows = conn.execute(query).all()
        images = np.frombuffer(b"".join(r.input28 for r in rows), dtype=np.uint8).reshape(len(rows), N_PIXELS)
        return images, np.array([r.label for r in rows], dtype=np.int64)

    def all_inputs(self, include_hidden: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(x (N, 784) float32 in [0, 1], y (N,) int64), oldest first: to rescore with another model
        (mnist_core.train.evaluate(model, x, y, device=...) gives its confusion matrix)."""
        images, labels = self._inputs(include_hidden)
        return images.astype(np.float32) / 255.0, labels

    def export_npz(self, path: str | os.PathLike, include_hidden: bool = False) -> int:
        """Write the visible drawings and their labels for `python -m mnist_core evaluate --drawings
        PATH` (mnist_core.drawings' format, atomic); return how many. OSError if PATH cannot be written."""
        images, labels = self._inputs(include_hidden)
        save_drawings(path, images, labels)
        return len(labels)
