"""The room's tables, their version, and creating them on first use (SQLAlchemy Core, any dialect).

Everything a class shares lives here, so that any number of app servers on one database are one class:
the drawings, the models participants saved and the default one, the training queue and its workers.
`room_meta` holds `schema_version`; a database made by a newer app is refused, never altered (an older
one gains the missing tables). The tables are prefixed `room_` because on PostgreSQL they may share a
database with other things.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .records import NEWER_SCHEMA, RoomError

SCHEMA_VERSION = 4  # 2: saved models, settings, the training queue and its workers; 3: the board, snapshots;
# 4: the presenter's position, questions and answers

metadata = sa.MetaData()

meta = sa.Table(
    "room_meta", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(256), nullable=False),
)  # fmt: skip

drawings = sa.Table(
    "room_drawings", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created", sa.DateTime, nullable=False),  # UTC, naive: SQLite has no time zones
    sa.Column("session_id", sa.String(32), nullable=False),
    sa.Column("label", sa.SmallInteger, nullable=False),
    sa.Column("model", sa.String(64), nullable=False),
    sa.Column("predicted", sa.SmallInteger, nullable=False),
    sa.Column("probabilities", sa.JSON, nullable=False),  # 10 floats
    sa.Column("input28", sa.LargeBinary, nullable=False),  # 784 bytes, uint8, 255 = ink
    sa.Column("thumbnail", sa.LargeBinary, nullable=False),  # PNG, grey, 112x112
    sa.Column("hidden", sa.Boolean, nullable=False, default=False),
    sa.CheckConstraint("label BETWEEN 0 AND 9", name="room_label_digit"),
    sa.CheckConstraint("predicted BETWEEN 0 AND 9", name="room_predicted_digit"),
    sa.Index("room_drawings_session", "session_id", "created"),  # the flood check and a session's score
    sqlite_autoincrement=True,  # never reuse an id after a clear: a stale wall's "hide" must not hit a new drawing
)  # fmt: skip


settings = sa.Table(
    "room_settings", metadata,  # the room's choices: "default_model"
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(256), nullable=False),
)  # fmt: skip

models = sa.Table(
    "room_models", metadata,  # checkpoints saved from the page (the shipped ones are files on every server)
    sa.Column("name", sa.String(64), primary_key=True),  # unique across servers: a second save of a name fails
    sa.Column("created", sa.DateTime, nullable=False),
    sa.Column("owner", sa.String(32), nullable=False),  # the saving participant's token: never shown
    sa.Column("nick", sa.String(16), nullable=False),  # their nickname: shown
    sa.Column("accuracy", sa.Float, nullable=False),
    sa.Column("payload", sa.LargeBinary, nullable=False),  # the checkpoint file's bytes (weights only)
)  # fmt: skip

jobs = sa.Table(
    "room_jobs", metadata,  # the training queue: first come (lowest seq) first served by any worker
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(32), nullable=False, unique=True),
    sa.Column("created", sa.DateTime, nullable=False),
    sa.Column("owner", sa.String(32), nullable=False),  # the participant's token
    sa.Column("nick", sa.String(16), nullable=False),
    sa.Column("spec", sa.JSON, nullable=False),  # {"model": ModelConfig, "train": TrainConfig} as dicts
    sa.Column("estimate", sa.Float, nullable=False),  # seconds, mnist_core.estimate
    sa.Column("status", sa.String(16), nullable=False),  # queued, untrained, training, testing, finished, stopped, failed
    sa.Column("stop", sa.Boolean, nullable=False, default=False),  # Stop pressed (owner or presenter)
    sa.Column("worker", sa.String(64)),
    sa.Column("started", sa.DateTime),
    sa.Column("beat", sa.DateTime),  # the worker's last sign of life for this job
    sa.Column("seen", sa.DateTime, nullable=False),  # the owner's page last looked at it
    sa.Column("fraction", sa.Float, nullable=False, default=0.0),
    sa.Column("points", sa.JSON),  # [{"epoch", "loss", "accuracy"}, ...]
    sa.Column("before", sa.JSON),  # the untrained network's confusion matrix
    sa.Column("metrics", sa.JSON),  # RunResult.metrics() of a finished run
    sa.Column("payload", sa.LargeBinary),  # the trained model as checkpoint bytes
    sa.Column("error", sa.String(300)),
    sa.Index("room_jobs_status", "status", "seq"),
    sqlite_autoincrement=True,
)  # fmt: skip

workers = sa.Table(
    "room_workers", metadata,  # the training workers alive: the page says when none is
    sa.Column("id", sa.String(64), primary_key=True),  # host:pid:random
    sa.Column("started", sa.DateTime, nullable=False),
    sa.Column("beat", sa.DateTime, nullable=False),
)  # fmt: skip


board_hidden = sa.Table(
    "room_board_hidden", metadata,  # runs the presenter took off the board (the board is a view over room_jobs)
    sa.Column("job_id", sa.String(32), primary_key=True),
    sa.Column("hidden", sa.DateTime, nullable=False),
)  # fmt: skip

snapshots = sa.Table(
    "room_snapshots", metadata,  # a training's network a few times an epoch, for the live view and its replay
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("job_id", sa.String(32), nullable=False),
    sa.Column("step", sa.Integer, nullable=False),  # optimisation steps done (0: untrained)
    sa.Column("epoch", sa.Float, nullable=False),  # fractional epochs done
    sa.Column("rows", sa.SmallInteger, nullable=False),  # first-layer units kept (a page of templates)
    sa.Column("weights", sa.LargeBinary, nullable=False),  # (rows, 784) float16, little-endian
    sa.Column("predictions", sa.JSON, nullable=False),  # the fixed test digits' predicted digits
    sa.Column("confusion", sa.JSON, nullable=False),  # 10x10 on a fixed slice of the test images
    sa.Index("room_snapshots_job", "job_id", "step"),
)  # fmt: skip


presence = sa.Table(
    "room_presence", metadata,  # where the presenter is: one row ("presenter"), read by every follower's poll
    sa.Column("key", sa.String(16), primary_key=True),
    sa.Column("seq", sa.Integer, nullable=False),  # +1 on every change: a poll compares this number only
    sa.Column("updated", sa.DateTime, nullable=False),
    sa.Column("section", sa.String(16), nullable=False),
    sa.Column("lesson_step", sa.SmallInteger, nullable=False),
    sa.Column("test_index", sa.Integer, nullable=False),
    sa.Column("inside_index", sa.Integer, nullable=False),
    sa.Column("question", sa.String(32)),  # the question on screen (room_questions.id), or None
    sa.Column("question_status", sa.String(16)),  # its status, so a poll sees open/closed/revealed without a join
)  # fmt: skip

questions = sa.Table(
    "room_questions", metadata,  # the presenter's questions to the room; answers hidden until revealed
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(32), nullable=False, unique=True),
    sa.Column("created", sa.DateTime, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # predict, untrained, setting (room.questions.KINDS)
    sa.Column("status", sa.String(16), nullable=False),  # open, closed, revealed, ended
    sa.Column("spec", sa.JSON, nullable=False),  # what the page shows: choices, the picture's source, job ids
    sa.Column("picture", sa.LargeBinary),  # 784 bytes, uint8, for "what will the network answer?"
    sa.Column("truth", sa.JSON),  # {"choice", ...}: never sent to a participant's page before the reveal
    sqlite_autoincrement=True,
)  # fmt: skip

answers = sa.Table(
    "room_answers", metadata,  # one answer per participant token and question; changeable until the reveal
    sa.Column("question_id", sa.String(32), primary_key=True),
    sa.Column("token", sa.String(32), primary_key=True),
    sa.Column("choice", sa.SmallInteger, nullable=False),
    sa.Column("updated", sa.DateTime, nullable=False),
)  # fmt: skip


def _version(conn: Connection) -> int | None:
    value = conn.execute(sa.select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
    return None if value is None else int(value)


def _check(version: int | None) -> bool:
    if version is not None and version > SCHEMA_VERSION:
        raise RoomError(NEWER_SCHEMA, f"the room's schema is version {version}; this app knows {SCHEMA_VERSION}")
    return version == SCHEMA_VERSION


def is_current(conn: Connection) -> bool:
    """The schema is there and ours (a read: it works while another process holds the write lock);
    RoomError("newer_schema") for a newer one."""
    return sa.inspect(conn).has_table(meta.name) and _check(_version(conn))


def ensure(conn: Connection) -> None:
    """Create the tables if missing and record the version; refuse a newer one. Runs in a write transaction."""
    metadata.create_all(conn, checkfirst=True)
    version = _version(conn)
    if version is None:
        conn.execute(sa.insert(meta).values(key="schema_version", value=str(SCHEMA_VERSION)))
    elif not _check(version):  # an older room: its tables are kept, the new ones were just created
        conn.execute(sa.update(meta).where(meta.c.key == "schema_version").values(value=str(SCHEMA_VERSION)))
