"""The room's tables, their version, and creating them on first use (SQLAlchemy Core, any dialect).

`room_meta` holds `schema_version`; a database made by a newer app is refused, never altered. The
tables are prefixed `room_` because on PostgreSQL they may share a database with other things.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .records import NEWER_SCHEMA, RoomError

SCHEMA_VERSION = 1

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
    if not _check(_version(conn)):
        conn.execute(sa.insert(meta).values(key="schema_version", value=str(SCHEMA_VERSION)))
