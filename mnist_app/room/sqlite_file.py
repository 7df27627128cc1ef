"""The room's SQLite file: how its connections are set up, and noticing that the file at the path is
no longer the one they have open (deleted, or replaced by another file) without a restart.

SQLite is opened in WAL mode, where readers never wait for the writer; writes take the write lock at
BEGIN (BEGIN IMMEDIATE) and wait for it up to the busy timeout instead of failing when a read-then-
write transaction finds another writer's commit.

A file is known by (st_dev, st_ino): a deleted file keeps its inode while a connection holds it open,
so connections to it go on reading and writing a file nobody will see again. Each connection records
the file it opened (`FILE_KEY` in its pool record's info); the store compares it with the path's
file after each write and refuses the write if they differ, and drops all its connections when the
path holds another file (`Watch`).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from pathlib import Path

import sqlalchemy as sa

logger = logging.getLogger(__name__)
FILE_KEY = "room_file"


def file_id(path: Path) -> tuple[int, int] | None:
    """A file's identity (None: no file there); a file deleted or replaced has another (an os.stat: ~2 us)."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return found.st_dev, found.st_ino


def _wal(cursor, timeout_s: float) -> str:
    """Switch to WAL mode, waiting up to timeout_s: the switch ignores the busy timeout, and two
    processes opening a new file together failed it at once with "database is locked" (3 of 200
    new files opened by three processes at once; a worker and a page starting on a new room do)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return cursor.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def setup(engine: sa.Engine, timeout_s: float, path: Path | None) -> None:
    """WAL mode, the busy timeout, BEGIN IMMEDIATE for writes, and each connection's file recorded
    (not for a sqlite:// URL, `path` None: the store then does not watch its file)."""

    @sa.event.listens_for(engine, "do_connect")
    def _before(_dialect, record, _cargs, _cparams) -> None:
        record.info["room_file_before"] = None if path is None else file_id(path)

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_conn, record) -> None:
        # The file this connection has open: the one at the path before and after opening it (a file
        # replaced in between leaves None, and this connection's writes are refused, never lost).
        before, after = record.info.pop("room_file_before", None), None if path is None else file_id(path)
        record.info[FILE_KEY] = after if before in (None, after) else None
        dbapi_conn.isolation_level = None  # sqlite3 would BEGIN on its own terms; _begin does it instead
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
        mode = _wal(cursor, timeout_s)
        if mode != "wal":  # a read-only file keeps its mode; reads still work
            logger.warning("room database not in WAL mode (%s)", mode)
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("room_write") else "BEGIN")


def written_to_the_path(conn: sa.Connection, path: Path) -> bool:
    """Whether the file this connection committed to is the file at the path now."""
    found = conn.connection.info.get(FILE_KEY)
    return found is not None and found == file_id(path)


class Watch:
    """Which file (and write-ahead log) at the path the room was opened in; `moved()` says when the
    path holds another, `forget()` clears the old file's leftovers before the room opens the new one."""

    def __init__(self, path: Path):
        self.path, self.wal = path, path.with_name(path.name + "-wal")
        self.file: tuple[int, int] | None = None
        self.log: tuple[int, int] | None = None

    def remember(self) -> None:
        self.file, self.log = file_id(self.path), file_id(self.wal)

    def written(self) -> None:
        """After a write: the log exists now (SQLite makes it at the first write, and anew after the
        last connection of every process closed)."""
        self.log = file_id(self.wal)

    def moved(self) -> bool:
        return self.file is not None and file_id(self.path) != self.file

    def forget(self) -> None:
        """After the store closed its connections: the old file's write-ahead log, if it is still the
        one at the path, would be read into the new file (SQLite pairs them by name; it deletes a log
        beside an empty file, not beside a replacement), so it goes, with its index."""
        if file_id(self.path) is not None and self.log is not None and file_id(self.wal) == self.log:
            logger.warning("room database %s: removing the replaced file's write-ahead log", self.path)
            for leftover in (self.wal, self.path.with_name(self.path.name + "-shm")):
                leftover.unlink(missing_ok=True)
        self.file = self.log = None
