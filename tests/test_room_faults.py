"""The room's store when the machine fails under it: a PostgreSQL server paused (SIGSTOP) or stopped and
started again mid-session, a SQLite file deleted or replaced while the app runs, and concurrent
bursts against the flood limit on both databases, from threads and from two stores (two servers).

The PostgreSQL tests start a cluster of their own (helpers_room.Cluster), never the shared one."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import uuid

import pytest
import sqlalchemy as sa

from conftest import need
from helpers_room import Cluster, entry, marks_of, pg_bin
from mnist_app.room import RoomError, open_store
from mnist_app.room.schema import drawings
from mnist_app.settings import ROOM_TIMEOUT_S as TIMEOUT_S

SLACK_S = 1.5  # beyond the deadline: a thread's wake-up and the pool's clean-up on 2 busy cores


def token() -> str:
    return uuid.uuid4().hex


@pytest.fixture(scope="module")
def cluster():
    need(pg_bin() is not None, "PostgreSQL's binaries (Debian's postgresql package) are not installed")
    own = Cluster()
    yield own
    own.close()


def stored_marks(store) -> list[int]:
    return sorted(marks_of(store.all_inputs(include_hidden=True)[0]))


def timed(calls: dict) -> dict:
    """Run the calls at once, one thread each: name -> (seconds, RoomError code or None). The threads
    are given 30 s in all: calls that wait on a paused server without a deadline fail the test."""
    results, start = {}, threading.Barrier(len(calls))

    def run(name: str, call) -> None:
        start.wait()
        began, code = time.monotonic(), None
        try:
            call()
        except RoomError as e:
            code = e.code
        results[name] = (time.monotonic() - began, code)

    threads = [threading.Thread(target=run, args=item, daemon=True) for item in calls.items()]
    for thread in threads:
        thread.start()
    ends = time.monotonic() + 30
    for thread in threads:
        thread.join(timeout=max(0.0, ends - time.monotonic()))
    assert not any(t.is_alive() for t in threads), f"{sum(t.is_alive() for t in threads)} calls still wait after 30 s"
    return results


# ------------------------------------------------------------------------------- a paused PostgreSQL


def test_a_paused_server_answers_unavailable_within_the_deadline_and_recovers(cluster):
    store = open_store(cluster.new_database())  # the default deadline, as the page has it
    before = store.add(**entry(token(), 1, 1, 1))  # the pool holds a live connection now
    calls = {mark: lambda m=mark: store.add(**entry(token(), m % 10, m % 10, m)) for mark in range(100, 108)}
    with cluster.paused():  # 8 taps (on the pooled connection and on new ones) and the wall's read
        answers = timed(calls | {"wall": store.recent})
    slowest = max(s for s, _ in answers.values())
    print(f"\npaused: 8 adds and a read answered in at most {slowest:.2f} s")
    assert {code for _, code in answers.values()} == {"unavailable"}
    assert slowest < TIMEOUT_S + SLACK_S
    after = store.add(**entry(token(), 2, 2, 2))  # the same store: no restart
    assert [d.id for d in store.recent()] == [after, before]
    assert stored_marks(store) == [1, 2]  # no tap that said "unavailable" was stored
    store.close()


def test_a_statement_the_server_cannot_finish_is_cancelled_by_the_server(cluster):
    """A running server that holds a statement (here a lock another connection keeps) answers too."""
    url = cluster.new_database()
    store = open_store(url, timeout_s=1.0)
    store.add(**entry(token(), 1, 1, 1))
    blocker = sa.create_engine(url)
    with blocker.connect() as other:
        other.exec_driver_sql(f"LOCK TABLE {drawings.name} IN ACCESS EXCLUSIVE MODE")
        try:
            answer = timed({"add": lambda: store.add(**entry(token(), 2, 2, 2))})["add"]
        finally:
            other.rollback()
        assert answer[1] == "unavailable" and answer[0] < 1.0 + SLACK_S
    blocker.dispose()
    assert store.add(**entry(token(), 3, 3, 3)) and stored_marks(store) == [1, 3]
    store.close()


# ------------------------------------------------------------------- a PostgreSQL stopped and started


def test_a_server_stopped_and_started_again_loses_and_doubles_nothing(cluster):
    store = open_store(cluster.new_database(), timeout_s=2.0, flood_per_minute=10**6)
    done, failed, stop = [], [], threading.Event()

    def participant(n: int) -> None:
        mark = n
        while not stop.is_set():
            try:
                store.add(**entry(token(), mark % 10, mark % 10, mark))
                done.append(mark)
            except RoomError as e:
                failed.append(e.code)
                time.sleep(0.05)
            mark += 4

    threads = [threading.Thread(target=participant, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.0)
        cluster.stop()
        stopped_at = len(done)
        time.sleep(1.5)
        while_down = len(done) - stopped_at
        cluster.start()
        time.sleep(2.0)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    print(f"\nstopped and started: {len(done)} stored, {len(failed)} refused while down")
    assert while_down <= 4  # at most the adds under way when it stopped
    assert failed and set(failed) == {"unavailable"}
    assert len(done) > stopped_at + 10  # it recovered without a restart
    assert stored_marks(store) == sorted(done)  # each exactly once: none lost, none twice
    store.close()


# ---------------------------------------------------------------------- a SQLite file deleted or replaced


def marks_in(path) -> list[int]:
    """What the file at `path` holds, read as a new process would."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(f"SELECT input28 FROM {drawings.name}").fetchall()
    finally:
        conn.close()
    return sorted(r[0][0] << 8 | r[0][1] for r in rows)


def test_a_deleted_file_is_noticed_and_nothing_is_said_stored_that_is_not(tmp_path):
    path = tmp_path / "room.sqlite3"
    store = open_store(str(path))
    for mark in range(3):
        store.add(**entry(token(), mark, mark, mark))
    os.remove(path)  # the -wal and -shm files stay, as after `rm room.sqlite3`
    said_stored = []
    for mark in range(10, 16):
        try:
            store.add(**entry(token(), mark % 10, mark % 10, mark))
            said_stored.append(mark)
        except RoomError as e:
            assert e.code == "unavailable"
    assert said_stored and said_stored[-3:] == [13, 14, 15]  # saves work again, without a restart
    assert marks_in(path) == said_stored  # and every one said stored is in the new file
    assert sorted(d.id for d in store.recent()) and stored_marks(store) == said_stored
    store.close()


def test_a_file_deleted_while_participants_save(tmp_path):
    """Deleted twice while 6 threads save: every save reported stored that began after the last
    deletion is in the file (a save under way at a deletion may be refused, and is then not reported)."""
    path = tmp_path / "room.sqlite3"
    store = open_store(str(path))
    saves, stop = [], threading.Event()

    def participant(n: int) -> None:
        mark = n
        while not stop.is_set():
            began = time.monotonic()
            try:
                store.add(**entry(token(), mark % 10, mark % 10, mark))
                saves.append((mark, began))
            except RoomError as e:
                assert e.code == "unavailable"
            mark += 6

    threads = [threading.Thread(target=participant, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(2):
            time.sleep(0.5)
            os.remove(path)
            deleted_at = time.monotonic()
        time.sleep(0.7)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    after = sorted(m for m, began in saves if began > deleted_at)
    assert len(after) > 5 and set(after) <= set(marks_in(path))
    assert len(set(marks_in(path))) == len(marks_in(path))  # none twice
    store.close()


def test_a_replaced_file_is_read_and_written_without_a_restart(tmp_path):
    path, other = tmp_path / "room.sqlite3", tmp_path / "other.sqlite3"
    store, maker = open_store(str(path)), open_store(str(other))
    store.add(**entry(token(), 1, 1, 1))
    maker.add(**entry(token(), 7, 7, 7))
    maker.close()  # its last connection checkpoints the file: a whole room in one file
    os.replace(other, path)
    assert stored_marks(store) == [7]
    store.add(**entry(token(), 8, 8, 8))
    assert marks_in(path) == [7, 8]
    store.close()


# ----------------------------------------------------------------------------------- the flood limit


@pytest.fixture(params=["sqlite", "postgresql"])
def room_url(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "room.sqlite3")
    return request.getfixturevalue("cluster").new_database()


def test_concurrent_bursts_never_pass_the_flood_limit(room_url):
    """One participant's token tapping from 6 threads on each of two stores (two servers) at once."""
    stores = [open_store(room_url, flood_per_minute=5, timeout_s=10.0) for _ in range(2)]
    stores[0].recent()  # the schema first: the race under test is the flood limit's, not CREATE TABLE's
    flooder, outcomes = token(), []
    for burst in range(3):
        start = threading.Barrier(12)

        def tap(store, mark: int, start: threading.Barrier = start) -> None:
            start.wait()
            try:
                store.add(**entry(flooder, mark % 10, mark % 10, mark))
                outcomes.append("stored")
            except RoomError as e:
                outcomes.append(e.code)

        threads = [threading.Thread(target=tap, args=(stores[n % 2], 100 * burst + n)) for n in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert outcomes.count("stored") == 5 and outcomes.count("flood") == 31
    assert stores[1].session_score(flooder).total == 5
    assert stores[0].add(**entry(token(), 3, 3, 3))  # another participant is not held back
    for store in stores:
        store.close()
