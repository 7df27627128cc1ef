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
"""

from __future__ import annotations

import asyncio
import base64
import random
import threading
import time
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.browser import chromium, settle, stroke

ONE = ([(0.42, 0.30), (0.55, 0.14)], [(0.55, 0.14), (0.52, 0.50), (0.50, 0.86)])  # flag and stem


@dataclass(frozen=True)
class Recording:
    messages: list[bytes]  # opening the page, a stroke, another stroke, Clear
    xsrf: str  # the browser's XSRF cookie, which Streamlit wants back with a websocket


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
    sent = [m for m in sent if not _timed(m)]
    if len(sent) != 4:
        raise RuntimeError(f"expected 4 messages from the browser (open, 2 strokes, clear), got {len(sent)}")
    return Recording(sent, xsrf)


def _timed(message: bytes) -> bool:
    """A fragment's timed rerun (following the presenter polls once a second): the page's own timer,
    not the participant's drawing, so it is not replayed. A stroke is a fragment's rerun too (the
    canvas's, sections/draw.py), but not an automatic one."""
    back = BackMsg.FromString(message)
    return back.WhichOneof("type") == "rerun_script" and back.rerun_script.is_auto_rerun


@dataclass
class Room:
    """`sessions` websockets replaying a recording, each waiting `pause` seconds (±30%) between its messages."""

    url: str
    recording: Recording
    sessions: int = 20
    pause: float = 1.0
    runs: list[float] = field(default_factory=list)  # seconds from each stroke sent to its run's end
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
        tasks = [asyncio.create_task(self._session(cookie, opened)) for _ in range(self.sessions)]
        for _ in range(self.sessions):
            await opened.acquire()
        self._ready.set()
        await asyncio.gather(*tasks)

    async def _session(self, cookie: str, opened: asyncio.Semaphore) -> None:
        ws_url = self.url.replace("http", "ws", 1) + "/_stcore/stream"
        headers = {"Cookie": f"_streamlit_xsrf={cookie}", "Origin": self.url}
        async with websockets.connect(ws_url, subprotocols=["streamlit", cookie], additional_headers=headers, max_size=None) as ws:
            first, *drawing = self.recording.messages
            await send_and_wait(ws, first)
            opened.release()
            while not self._stop.is_set():
                for message in drawing:
                    await asyncio.sleep(self.pause * random.uniform(0.7, 1.3))
                    if self._stop.is_set():
                        return
                    self.runs.append(await send_and_wait(ws, message))


async def send_and_wait(ws, message: bytes) -> float:
    """Send one message and read the server's answer up to the end of its script run; its seconds."""
    start = time.perf_counter()
    await ws.send(message)
    while True:
        reply = ForwardMsg.FromString(await ws.recv())
        if reply.WhichOneof("type") == "script_finished":
            return time.perf_counter() - start

