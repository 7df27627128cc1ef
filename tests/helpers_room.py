"""Shared helpers for the room store's tests: a drawing's fields, marked so each can be found again,
a writer that stores many from threads (also run as a command, `python tests/helpers_room.py LOCATION
SESSIONS PER_SESSION FIRST_MARK`, as another app server would), and a PostgreSQL cluster of a test's
own that it may pause, stop and start (`Cluster`)."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from mnist_app.room import new_session_id, open_store, thumbnail_png

THUMB = thumbnail_png(np.full((336, 336), 255, np.uint8))


def entry(session_id: str, label: int, predicted: int, mark: int = 0, model: str = "tiny") -> dict:
    """add()'s fields; `mark` (0 to 65535) is written into the first two pixels, to tell drawings apart."""
    pixels = np.zeros(784, np.uint8)
    pixels[300:340] = 255  # some ink
    pixels[0], pixels[1] = mark >> 8, mark & 0xFF
    probabilities = np.full(10, 0.02)
    probabilities[predicted] = 0.82
    return dict(session_id=session_id, label=label, model=model, predicted=predicted,
                probabilities=probabilities.tolist(), input28=pixels, thumbnail=THUMB)  # fmt: skip


def marks_of(x: np.ndarray) -> list[int]:
    """The marks of all_inputs()'s rows."""
    raw = np.rint(x[:, :2] * 255).astype(int)
    return [int(hi) << 8 | int(lo) for hi, lo in raw]


def write_many(location: str, sessions: int, per_session: int, first_mark: int, timeout_s: float = 10.0) -> dict:
    """`sessions` threads, each a session adding `per_session` drawings at once: ids, marks, slowest add."""
    store = open_store(location, timeout_s=timeout_s)
    ids, marks, slowest, errors = [], [], [0.0], []
    lock, start = threading.Lock(), threading.Barrier(sessions, timeout=60)  # a thread that failed to start breaks it

    def session(n: int) -> None:
        sid = new_session_id()
        start.wait()
        for i in range(per_session):
            mark = first_mark + n * per_session + i
            t = time.perf_counter()
            try:
                new_id = store.add(**entry(sid, mark % 10, (mark * 7) % 10, mark))
            except Exception as e:  # noqa: BLE001  (counted: a lost drawing fails the test)
                with lock:
                    errors.append(repr(e))
                continue
            with lock:
                ids.append(new_id), marks.append(mark)
                slowest[0] = max(slowest[0], time.perf_counter() - t)

    threads = [threading.Thread(target=session, args=(n,)) for n in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.close()
    return {"ids": ids, "marks": marks, "slowest_s": slowest[0], "errors": errors}


# ------------------------------------------------------------------------- a PostgreSQL of a test's own


def pg_bin() -> Path | None:
    """Debian's newest PostgreSQL binaries' folder, or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else None


class Cluster:
    """A throw-away PostgreSQL cluster, as .ci/postgres.sh starts one, in a folder of its own under
    /tmp (the postgres user cannot enter pytest's tmp_path, which is root's alone) listening only on
    a Unix socket there, on a port of its own. Run as postgres when we are root (initdb refuses root).
    Only this cluster's processes (its postmaster.pid and that pid's children) are ever signalled."""

    def __init__(self):
        self.bin = pg_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="mnist-pg-test-"))
        self.port = random.randint(20000, 60000)
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run("initdb", "-D", self.dir / "data", "-U", "postgres", "-A", "trust", "-E", "UTF8")
        self.start()

    def _run(self, tool: str, *args) -> None:
        subprocess.run(
            [*self.as_postgres, self.bin / tool, *map(str, args)], check=True, capture_output=True, timeout=120
        )

    def start(self) -> None:
        options = f"-c listen_addresses='' -k {self.dir} -p {self.port} -c max_connections=100"
        self._run("pg_ctl", "-D", self.dir / "data", "-l", self.dir / "log", "-w", "-o", options, "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", self.dir / "data", "-m", "fast", "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg2://postgres@/{database}?host={self.dir}&port={self.port}"

    def new_database(self) -> str:
        name = f"room_{uuid.uuid4().hex[:12]}"
        self._run("createdb", "-h", self.dir, "-p", self.port, "-U", "postgres", name)
        return self.url(name)

    def pids(self) -> list[int]:
        """The postmaster first, then its children (backends, checkpointer, ...)."""
        postmaster = int((self.dir / "data" / "postmaster.pid").read_text().split()[0])
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # a process that ended meanwhile
            if int(fields[1]) == postmaster:
                children.append(int(stat.parent.name))
        return [postmaster, *children]

    @contextmanager
    def paused(self):
        """The whole cluster stopped with SIGSTOP (postmaster first: it forks no more), SIGCONT after."""
        pids = self.pids()
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        try:
            yield pids
        finally:
            for pid in reversed(pids):
                os.kill(pid, signal.SIGCONT)

    def close(self) -> None:
        try:
            for pid in self.pids():
                os.kill(pid, signal.SIGCONT)  # a test that failed while paused
            self.stop()
        except (OSError, ValueError, subprocess.SubprocessError):
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


if __name__ == "__main__":  # another app server: python tests/helpers_room.py LOCATION SESSIONS PER_SESSION FIRST_MARK
    where, sessions, per_session, first = sys.argv[1], *map(int, sys.argv[2:5])
    print(json.dumps(write_many(where, sessions, per_session, first)))
