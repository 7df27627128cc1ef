"""The participants' poll (mnist_app/presence_route.py): `GET api/presence` answers the presenter's seq
from a per-process cache, one database read per MAX_AGE_S however many pages ask, a change seen once
the cache is that old, and a room that is away answered as "no change" with one warning line."""

from __future__ import annotations

import asyncio
import json
import logging

from starlette.applications import Starlette

from mnist_app import presence_route
from mnist_app.presence_route import MAX_AGE_S, SeqCache, routes
from mnist_app.room import RoomError, open_store
from mnist_app.room.presence import Position, Presenter


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def get(app, path: str = "/api/presence") -> tuple[int, dict | None]:
    """One GET through the ASGI app, as a browser's fetch reaches it."""
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": [], "scheme": "http", "server": ("test", 80), "client": ("test", 1), "root_path": ""}  # fmt: skip
    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(body) if status == 200 else None


def counting(store):
    reads = []

    def read() -> int:
        reads.append(1)
        found = Presenter(store).read()
        return 0 if found is None else found.seq

    return read, reads


def test_many_pages_within_the_window_cost_one_read_and_a_move_shows_once_it_is_old(tmp_path):
    store = open_store(str(tmp_path / "room.sqlite3"))
    read, reads = counting(store)
    clock = Clock()
    app = Starlette(routes=routes(SeqCache(read, clock=clock)))

    async def scenario():
        answers = await asyncio.gather(*(get(app) for _ in range(150)))  # a lecture hall's second
        assert answers == [(200, {"seq": 0})] * 150 and len(reads) == 1
        Presenter(store).publish(Position("lesson", 1, 0, 0))
        clock.now += MAX_AGE_S / 2
        assert await get(app) == (200, {"seq": 0}) and len(reads) == 1  # still the cached answer
        clock.now += MAX_AGE_S / 2
        answers = await asyncio.gather(*(get(app) for _ in range(150)))
        assert answers == [(200, {"seq": 1})] * 150 and len(reads) == 2  # one read, the move seen

    asyncio.run(scenario())


def test_one_read_in_flight_however_many_pages_wait_for_it(tmp_path):
    """A slow database: the requests that arrive meanwhile wait for the same read, not a read each."""
    import time

    store = open_store(str(tmp_path / "room.sqlite3"))
    Presenter(store).publish(Position("test", 0, 7, 0))
    read, reads = counting(store)
    app = Starlette(routes=routes(SeqCache(lambda: (time.sleep(0.2), read())[1])))

    async def scenario():
        answers = await asyncio.gather(*(get(app) for _ in range(40)))
        assert answers == [(200, {"seq": 1})] * 40 and len(reads) == 1

    asyncio.run(scenario())


def test_the_room_away_answers_no_change_with_one_warning_line_and_its_return_is_seen(caplog):
    state = {"away": True, "seq": 4}
    clock = Clock()

    def read() -> int:
        if state["away"]:
            raise RoomError("unavailable", "connection refused")
        return state["seq"]

    app = Starlette(routes=routes(SeqCache(read, clock=clock)))

    async def scenario():
        for _ in range(5):
            assert await get(app) == (200, {"seq": None})  # the page's watcher takes None as "no change"
            clock.now += MAX_AGE_S
        state["away"] = False
        assert await get(app) == (200, {"seq": 4})

    with caplog.at_level(logging.WARNING, logger=presence_route.__name__):
        asyncio.run(scenario())
    warnings = [r for r in caplog.records if r.name == presence_route.__name__]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING and not warnings[0].exc_info


def test_the_route_answers_under_the_servers_base_path_too_and_only_get(tmp_path):
    app = Starlette(routes=routes(SeqCache(lambda: 3), base="/mnist/"))

    async def scenario():
        assert await get(app, "/api/presence") == (200, {"seq": 3})
        assert await get(app, "/mnist/api/presence") == (200, {"seq": 3})
        assert (await get(app, "/_stcore/presence"))[0] == 404

    asyncio.run(scenario())


def test_the_servers_reader_reads_the_room_of_MNIST_ROOM_DB(tmp_path, monkeypatch):
    from mnist_app.resources import room_store

    monkeypatch.setenv("MNIST_ROOM_DB", str(tmp_path / "room.sqlite3"))
    room_store.clear()
    try:
        assert presence_route.read_seq() == 0  # no presenter yet
        Presenter(open_store(str(tmp_path / "room.sqlite3"))).publish(Position("data", 0, 0, 0))
        Presenter(open_store(str(tmp_path / "room.sqlite3"))).publish(Position("draw", 0, 0, 0))
        assert presence_route.read_seq() == 2
    finally:
        room_store.clear()
