"""A room of drawing sessions without their browsers: each session is a websocket that sends the
server what a browser sends when a participant draws, and reads what the server answers.

In a workshop the participants' browsers run on their own laptops and phones; only the server is
shared. Twenty Chromium pages on this 2-core machine would also put twenty browsers' rendering on the
cores that the server and the measured browser use (and Playwright drives them one at a time: 1.6
strokes a second for 20 pages). These sessions cost the server what a drawing costs it (a full run
of app.py for every stroke, its answer sent back) and nothing else.

What they send is recorded first from a real Chromium session (`record`): its first message, its
two strokes of a "1" and its Clear, as Streamlit's protobuf `BackMsg`s. Widget ids depend only on the
page's code and keys, so every new session can send the same messages.

Besides drawing, each session does what its page does while it waits: it asks the server's
`api/presence` route whether the presenter moved (components/watch.py) every follow.POLL_S (±10%),
an HTTP GET through the same URL (nginx in production) on a kept-alive connection, counted apart from
the strokes (`Room.polls`); and it sends again any timed fragment rerun the browser sent while it was
recorded (`Recording.timed`: a page of an older checkout polled by such a rerun every second), at the
same period, counted apart too (`Room.timed_runs`). A page without the route (an older checkout) is
not polled.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.browser import chromium, settle, stroke
from mnist_app.follow import POLL_S
from mnist_app.presence_route import PATH

ONE = ([(0.42, 0.30), (0.55, 0.14)], [(0.55, 0.14), (0.52, 0.50), (0.50, 0.86)])  # flag and stem


@dataclass(frozen=True)
class Recording:
    messages: list[bytes]  # opening the page, a stroke, another stroke, Clear
    xsrf: str  # the browser's XSRF cookie, which Streamlit wants back with a websocket
    timed: list[bytes] = field(default_factory=list)  # the page's timed fragment reruns, one per fragment


def frames_sent(page) -> list[bytes]:
    """A list that fills with every websocket message the page sends from now on (Chrome's DevTools)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    sent: list[bytes] = []
    cdp.on("Network.webSocketFrameSent", lambda e: sent.append(base64.b64decode(e["response"]["payloadData"])))
    return sent


def record(url: str, lang: str = "en") -> Recording:
    """What a browser sends when it opens the page, draws a "1" in two strokes and clears it."""
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        sent = frames_sent(page)
        page.goto(f"{url}/?lang={lang}")
        canvas = page.locator("canvas.upper-canvas").first
        canvas.wait_for()
        settle(page)
        for points in ONE:
            stroke(page, canvas, points)
            settle(page)
        page.get_by_role("button", name="Clear").click()
        settle(page)
        xsrf = next(c["value"] for c in page.context.cookies() if c["name"] == "_streamlit_xsrf")
    timed = _timed_reruns(sent)
    sent = [m for m in sent if _timed_fragment(m) is None]
    if len(sent) != 4:
        raise RuntimeError(f"expected 4 messages from the browser (open, 2 strokes, clear), got {len(sent)}")
    return Recording(sent, xsrf, timed)


def _timed_fragment(message: bytes) -> str | None:
    """The fragment of a timed rerun (the page's own timer, not the participant's drawing), else None.
    A stroke is a fragment's rerun too (the canvas's, sections/draw.py), but not an automatic one."""
    back = BackMsg.FromString(message)
    timed = back.WhichOneof("type") == "rerun_script" and back.rerun_script.is_auto_rerun
    return back.rerun_script.fragment_id if timed else None


def _timed_reruns(sent: list[bytes]) -> list[bytes]:
    """The last timed rerun of each fragment, its widget values dropped (the server keeps a session's own)."""
    last: dict[str, BackMsg] = {}
    for message in sent:
        if (fragment := _timed_fragment(message)) is not None:
            last[fragment] = BackMsg.FromString(message)
    for back in last.values():
        back.rerun_script.widget_states.Clear()
    return [back.SerializeToString() for back in last.values()]


@dataclass
class Room:
    """`sessions` websockets replaying a recording, each waiting `pause` seconds (±30%) between its messages."""

    url: str
    recording: Recording
    sessions: int = 20
    pause: float = 1.0
    polling: bool = True  # poll api/presence as the page's watcher does (if the server has the route)
    runs: list[float] = field(default_factory=list)  # seconds from each stroke sent to its run's end
    polls: list[float] = field(default_factory=list)  # seconds of each answered GET of api/presence
    poll_errors: int = 0  # polls not answered 200 (refused, reset, an error status)
    timed_runs: list[float] = field(default_factory=list)  # seconds of each replayed timed rerun
    _stop: threading.Event = field(default_factory=threading.Event)
    _ready: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> "Room":
        self._failed: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout=300) or self._failed:
            raise RuntimeError(f"the room's sessions did not open: {self._failed or 'not within 300 s'}")
        return self

    def _run(self) -> None:
        try:
            asyncio.run(self._all())
        except BaseException as error:  # told to __enter__, which is waiting
            self._failed.append(error)
            self._ready.set()

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def strokes(self) -> int:
        return len(self.runs)

    async def _all(self) -> None:
        cookie = self.recording.xsrf
        opened = asyncio.Semaphore(0)
        polling = self.polling and await _answers(self.url)
        tasks = [asyncio.create_task(self._session(cookie, opened, polling)) for _ in range(self.sessions)]
        for _ in range(self.sessions):
            await opened.acquire()
        self._ready.set()
        await asyncio.gather(*tasks)

    async def _session(self, cookie: str, opened: asyncio.Semaphore, polling: bool) -> None:
        ws_url = self.url.replace("http", "ws", 1) + "/_stcore/stream"
        headers = {"Cookie": f"_streamlit_xsrf={cookie}", "Origin": self.url}
        async with websockets.connect(ws_url, subprotocols=["streamlit", cookie], additional_headers=headers, max_size=None) as ws:
            first, *drawing = self.recording.messages
            await send_and_wait(ws, first)
            opened.release()
            turn = asyncio.Lock()  # one script run awaited at a time: its script_finished is its own
            waiting = [asyncio.create_task(self._poll(cookie))] if polling else []
            waiting += [asyncio.create_task(self._timed(ws, turn, message)) for message in self.recording.timed]
            try:
                while not self._stop.is_set():
                    for message in drawing:
                        await asyncio.sleep(self.pause * random.uniform(0.7, 1.3))
                        if self._stop.is_set():
                            return
                        start = time.perf_counter()  # a stroke that waits for a timed rerun's end waits in the browser too
                        async with turn:
                            await send_and_wait(ws, message)
                        self.runs.append(time.perf_counter() - start)
            finally:
                for task in waiting:
                    task.cancel()

    async def _timed(self, ws, turn: asyncio.Lock, message: bytes) -> None:
        """The page's timed fragment rerun, every POLL_S (the only timer a participant's page had: follow's)."""
        await asyncio.sleep(random.uniform(0, POLL_S))  # the browsers' timers are not in step
        while not self._stop.is_set():
            start = time.perf_counter()
            async with turn:
                self.timed_runs.append(await send_and_wait(ws, message))
            await asyncio.sleep(max(0.0, POLL_S - (time.perf_counter() - start)))

    async def _poll(self, cookie: str) -> None:
        """The page's watcher: GET api/presence every POLL_S (±10%) on a kept-alive connection."""
        await asyncio.sleep(random.uniform(0, POLL_S))
        client = Http(self.url, cookie)
        try:
            while not self._stop.is_set():
                start = time.perf_counter()
                if seq_of(await client.get(PATH)) is not None:
                    self.polls.append(time.perf_counter() - start)
                else:
                    self.poll_errors += 1
                await asyncio.sleep(max(0.0, POLL_S * random.uniform(0.9, 1.1) - (time.perf_counter() - start)))
        finally:
            client.close()


def seq_of(answer: tuple[int, bytes]) -> int | None:
    """The route's answer, {"seq": n or null}: n, -1 for null (the room away), None if not that answer."""
    status, body = answer
    try:
        seq = json.loads(body)["seq"] if status == 200 else None
    except (ValueError, TypeError, KeyError):
        return None
    return -1 if seq is None else seq if isinstance(seq, int) else None


async def _answers(url: str) -> bool:
    """Whether the server has the presence route (an older checkout's page has none, and does not poll)."""
    client = Http(url, "")
    try:
        return seq_of(await client.get(PATH)) is not None  # an older server answers its page (200, HTML)
    finally:
        client.close()


class Http:
    """A browser's kept-alive HTTP/1.1 connection, just enough for small GETs (no aiohttp/httpx here)."""

    def __init__(self, url: str, cookie: str):
        parts = urlsplit(url)
        self.host, self.port, self.base = parts.hostname, parts.port or 80, parts.path.rstrip("/") + "/"
        self.headers = f"Host: {parts.netloc}\r\nAccept: application/json\r\nCookie: _streamlit_xsrf={cookie}\r\n"
        self.reader = self.writer = None

    async def get(self, path: str) -> tuple[int, bytes]:
        """The status and body of one GET ((0, b""): no answer); a closed connection is opened again on the next."""
        try:
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            self.writer.write(f"GET {self.base}{path} HTTP/1.1\r\n{self.headers}\r\n".encode())
            head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
            length = int(next((line.split(":", 1)[1] for line in head.split("\r\n") if line.startswith("content-length:")), "0"))
            body = await self.reader.readexactly(length)
            if "connection: close" in head:
                self.close()
            return int(head.split(" ", 2)[1]), body
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, IndexError):
            self.close()
            return 0, b""

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def send_and_wait(ws, message: bytes) -> float:
    """Send one message and read the server's answer up to the end of its script run; its seconds."""
    start = time.perf_counter()
    await ws.send(message)
    while True:
        reply = ForwardMsg.FromString(await ws.recv())
        if reply.WhichOneof("type") == "script_finished":
            return time.perf_counter() - start

