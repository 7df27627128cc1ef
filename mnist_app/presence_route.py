"""`GET api/presence`: the presenter's row's `seq`, for the participants' pages to poll over plain HTTP.

Every participant's page asks once a second whether the presenter moved (follow.py). As a Streamlit
fragment's timed rerun that question cost the server 3.6 ms of CPU (a script run: its thread, the
session's state, the deltas); this route answers it in 0.54 ms (bench/bench_follow.py --polls, 150
pages, both in one run) from a per-process cache, so however many pages ask, the database is read at
most once every MAX_AGE_S, off the event loop, one read at a time. The answer is
only the number (`{"seq": 12}`; 0 before the presenter's first move): nothing a participant may not know.
A room that is away answers `{"seq": null}`, which a page takes as "no change", with one warning line.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse
from starlette.routing import Route

logger = logging.getLogger(__name__)
PATH = "api/presence"  # relative: the page asks for it beside itself, under any base path or proxy prefix
MAX_AGE_S = 0.5  # a move reaches the pages at most this much later than a direct read would


def read_seq() -> int:
    """The presenter's row's seq from the server's own room (resources.room_store: one per process)."""
    from .resources import room_store
    from .room.presence import Presenter

    found = Presenter(room_store()).read()
    return 0 if found is None else found.seq


class SeqCache:
    """The last seq read and when; `get()` reads again once it is MAX_AGE_S old, one read in flight."""

    def __init__(self, read: Callable[[], int] = read_seq, max_age_s: float = MAX_AGE_S, clock=time.monotonic):
        self.read, self.max_age_s, self.clock = read, max_age_s, clock
        self.value: int | None = None
        self.at = -float("inf")
        self.reads = 0
        self.away = False  # the last read failed: said once, not on every read until it is back
        self._lock: asyncio.Lock | None = None

    def fresh(self) -> bool:
        return self.clock() - self.at < self.max_age_s

    async def get(self) -> int | None:
        if self.fresh():
            return self.value
        self._lock = self._lock or asyncio.Lock()
        async with self._lock:
            if not self.fresh():  # else another request read it while this one waited
                self.value = await run_in_threadpool(self._read)
                self.at = self.clock()
        return self.value

    def _read(self) -> int | None:
        from .room import RoomError

        self.reads += 1
        try:
            value = self.read()
        except RoomError as e:
            if not self.away:
                logger.warning("presenter's row not read for the pages' poll: %s", e.detail or e.code)
            self.away = True
            return None
        self.away = False
        return value


def routes(cache: SeqCache | None = None, base: str = "") -> list[Route]:
    """The route for st.App(routes=...), under the server's base URL path too when it has one."""
    cache = cache or SeqCache()

    async def presence(request) -> JSONResponse:
        return JSONResponse({"seq": await cache.get()}, headers={"Cache-Control": "no-store"})

    paths = [f"/{PATH}"] + ([f"/{base.strip('/')}/{PATH}"] if base.strip("/") else [])
    return [Route(path, presence, methods=["GET"]) for path in paths]
