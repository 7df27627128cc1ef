"""Shared helpers for the room store's tests: a drawing's fields, marked so each can be found again,
and a writer that stores many from threads (also run in other processes, as several app servers)."""

from __future__ import annotations

import threading
import time

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
    lock, start = threading.Lock(), threading.Barrier(sessions)

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
