"""A room following its presenter: how long the presenter's "next step" takes to reach every
participant's page, and the presenter's own click meanwhile.

    MNIST_DATA_DIR=/path/to/mnist python -m bench.bench_follow [--sessions 30] [--moves 18]

One `streamlit run app.py`. The presenter is a real Chromium page (1280x720, the key given) on the
Lesson; the participants are websocket sessions (bench/generators/socket_room.py's way: what a real
browser sends, recorded once) that open the page and then do what its watcher does (components/watch.py):
GET `api/presence` every follow.POLL_S and, when the seq there changed, send the follow fragment's
rerun with the watcher's trigger, as recorded from a real follower when the presenter moved. The presenter moves through the lesson's first four steps
and back (`--moves` clicks, a pause of 2-3 s between them); for each move the seconds from the click to
each session receiving the new step's title, and from the click to the presenter's own page showing it.
Prints median and p95 of both; the last line is `sessions=N follow_median=X follow_p95=Y click_median=Z`.

    MNIST_DATA_DIR=/path/to/mnist python -m bench.bench_follow --polls [--sessions 150] [--seconds 30] [--repo OLD]

What watching the presenter costs the server while nothing moves: `--sessions` idle pages (socket_room's
sessions, drawing nothing) against one plain `streamlit run app.py` (no training worker), for
`--seconds`, after as long with the sessions open and not watching (the baseline). This checkout's
pages poll the `api/presence` route (components/watch.py); `--repo`, a checkout of an older commit
(e.g. `git archive <commit> | tar -x -C OLD`), measured first in the same run, whose pages sent the
follow fragment's timed rerun every second. Prints the server's CPU per poll / per timed rerun above
the baseline; its last line is `sessions=N poll_ms=X [rerun_ms=Y ratio=Z]`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import tempfile
import threading
import time
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg

from bench.browser import REPO, chromium, open_section, settle, streamlit_server, text
from bench.generators import socket_room
from bench.generators.socket_room import frames_sent
from bench.serving import cpu_seconds, single
from mnist_app.follow import POLL_S

KEY = "bench-key"
STEP = re.compile(rb'data-step="(\w+)"')
WATCH = """(step) => {
  window.__shownAt = null;
  new MutationObserver((_, observer) => {
    if (document.querySelector(`.lesson-title[data-step="${step}"]`)) { window.__shownAt = Date.now(); observer.disconnect(); }
  }).observe(document.body, {subtree: true, childList: true, attributes: true});
}"""
ROUTE = ("prepare", "model", "untrained", "model", "prepare", "load")  # next, next, next, previous x3


def record(browser, url: str, lead) -> tuple[bytes, bytes, str]:
    """A participant's browser: its first message, the follow fragment's rerun that its watcher asks
    for when the presenter moves (the lead opens Data; the message's widget values dropped but the
    trigger's: the server keeps a session's own), and its XSRF cookie."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    sent = frames_sent(page)
    page.goto(f"{url}/?lang=ko&follow=1")  # as the join card opens it
    page.wait_for_selector("#draw-prompt")
    settle(page)
    open_section(lead, text("ko", "section.data"))
    page.wait_for_selector(".st-key-section_data", timeout=int(10_000 * POLL_S))  # followed there
    settle(page)
    xsrf = next(c["value"] for c in page.context.cookies() if c["name"] == "_streamlit_xsrf")
    context.close()
    triggers = [m for m in map(BackMsg.FromString, sent) if m.WhichOneof("type") == "rerun_script" and m.rerun_script.fragment_id
                and any(w.id.endswith("__events") for w in m.rerun_script.widget_states.widgets)]  # fmt: skip
    if not triggers:
        raise RuntimeError("the browser's watcher asked for no rerun of the follow fragment")
    trigger = triggers[-1]
    kept = [w for w in trigger.rerun_script.widget_states.widgets if w.id.endswith("__events")]
    trigger.rerun_script.widget_states.Clear()
    trigger.rerun_script.widget_states.widgets.extend(kept)
    return sent[0], trigger.SerializeToString(), xsrf


class Room:
    """`sessions` websockets that open the page and watch; `seen[step]` lists (session, time.time()) of arrival."""

    def __init__(self, url: str, opening: bytes, trigger: bytes, xsrf: str, sessions: int):
        self.url, self.opening, self.trigger, self.xsrf, self.sessions = url, opening, trigger, xsrf, sessions
        self.seen: dict[int, dict[bytes, float]] = {i: {} for i in range(sessions)}
        self.stop, self.ready, self.failed = threading.Event(), threading.Event(), []

    def __enter__(self):
        self.thread = threading.Thread(target=lambda: asyncio.run(self._all()), daemon=True)
        self.thread.start()
        if not self.ready.wait(300):
            raise RuntimeError(f"sessions did not open: {self.failed}")
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(60)

    async def _all(self):
        opened = asyncio.Semaphore(0)
        tasks = [asyncio.create_task(self._session(i, opened)) for i in range(self.sessions)]
        for _ in range(self.sessions):
            await opened.acquire()
        self.ready.set()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _session(self, i: int, opened: asyncio.Semaphore):
        ws_url = self.url.replace("http", "ws", 1) + "/_stcore/stream"
        headers = {"Cookie": f"_streamlit_xsrf={self.xsrf}", "Origin": self.url}
        try:
            async with websockets.connect(ws_url, subprotocols=["streamlit", self.xsrf], additional_headers=headers, max_size=None) as ws:
                await ws.send(self.opening)
                opened.release()
                reader = asyncio.create_task(self._read(i, ws))
                await asyncio.sleep(random.uniform(0, POLL_S))  # the browsers' timers are not in step
                await self._watch(ws)
                reader.cancel()
        except (OSError, websockets.WebSocketException) as e:  # told after the run: a session lost is no figure
            self.failed.append(e)
            opened.release()

    async def _watch(self, ws) -> None:
        """The watcher: the route's seq every POLL_S; one rerun of the follow fragment when it changed."""
        client, seen = socket_room.Http(self.url, self.xsrf), None
        try:
            while not self.stop.is_set():
                start = time.perf_counter()
                seq = socket_room.seq_of(await client.get(socket_room.PATH))
                if seq is not None and seq >= 0 and seen is not None and seq != seen:
                    await ws.send(self.trigger)
                seen = seq if seq is not None and seq >= 0 else seen
                await asyncio.sleep(max(0.0, POLL_S - (time.perf_counter() - start)))
        finally:
            client.close()

    async def _read(self, i: int, ws):
        async for message in ws:
            for step in STEP.findall(message):
                self.seen[i].setdefault(step, time.time())

    def clear(self, step: bytes) -> None:
        for seen in self.seen.values():
            seen.pop(step, None)

    def arrivals(self, step: bytes) -> list[float]:
        return [seen[step] for seen in self.seen.values() if step in seen]


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]


def run(folder: Path, sessions: int, moves: int) -> None:
    with streamlit_server(folder / "server.log", MNIST_PRESENTER_KEY=KEY) as url, chromium() as browser:
        lead = browser.new_page(viewport={"width": 1280, "height": 720})
        lead.set_default_timeout(60_000)
        lead.goto(f"{url}/?lang=ko&presenter=1&key={KEY}")
        settle(lead)
        opening, trigger, xsrf = record(browser, url, lead)
        follows, clicks = [], []
        with Room(url, opening, trigger, xsrf, sessions) as room:
            open_section(lead, text("ko", "section.lesson"))
            deadline = time.time() + 30
            while len(room.arrivals(b"load")) < sessions and time.time() < deadline:
                time.sleep(0.2)
            for k in range(moves):
                step = ROUTE[k % len(ROUTE)]
                room.clear(step.encode())
                lead.evaluate(WATCH, step)
                button = text("ko", "lesson.next" if k % len(ROUTE) < 3 else "lesson.previous")
                clicked = time.time()
                lead.get_by_role("button", name=button, exact=True).click()
                lead.wait_for_function("window.__shownAt !== null")
                clicks.append(lead.evaluate("window.__shownAt") / 1000 - clicked)
                deadline = clicked + 15
                while len(arrived := room.arrivals(step.encode())) < sessions and time.time() < deadline:
                    time.sleep(0.05)
                follows += [t - clicked for t in arrived]
                missing = sessions - len(arrived)
                if missing:
                    print(f"move {k + 1} ({step}): {missing} session(s) not there after 15 s")
                time.sleep(random.uniform(2, 3))
            if room.failed:
                raise RuntimeError(f"sessions failed: {room.failed[:3]}")
        settle(lead)
    print(f"{sessions} following sessions, {moves} moves: {len(follows)} arrivals, median {statistics.median(follows):.2f} s, "
          f"p95 {p95(follows):.2f} s, slowest {max(follows):.2f} s")
    print(f"the presenter's own click: median {statistics.median(clicks):.3f} s, p95 {p95(clicks):.3f} s")
    print(f"sessions={sessions} follow_median={statistics.median(follows):.2f}s follow_p95={p95(follows):.2f}s click_median={statistics.median(clicks):.3f}s")


def watching(folder: Path, repo: Path, sessions: int, seconds: float) -> dict:
    """`sessions` idle pages of `repo`'s app: the server's CPU seconds a second, open and not watching
    (the baseline), then watching as their browsers would; the polls and timed reruns answered."""
    with single(folder, repo, MNIST_WORKERS="0") as (url, pid):
        recording = socket_room.record(url)
        quiet = socket_room.Recording(recording.messages, recording.xsrf)  # no timed reruns
        figures = {}
        for name, replayed, polling in (("idle", quiet, False), ("watching", recording, True)):
            with socket_room.Room(url, replayed, sessions=sessions, pause=1e9, polling=polling) as room:
                time.sleep(3)  # every session open and in its stride
                used, polls, reruns, start = cpu_seconds(pid), len(room.polls), len(room.timed_runs), time.monotonic()
                time.sleep(seconds)
                wall = time.monotonic() - start
                figures[name] = (cpu_seconds(pid) - used) / wall
                figures["polls"], figures["reruns"] = (len(room.polls) - polls) / wall, (len(room.timed_runs) - reruns) / wall
                figures["errors"] = room.poll_errors
    return figures


def cost(label: str, f: dict) -> float | None:
    """Milliseconds of server CPU per poll or timed rerun, above the idle baseline; printed."""
    events = f["polls"] + f["reruns"]
    ms = 1000 * (f["watching"] - f["idle"]) / events if events else None
    print(f"{label}: {f['polls']:.1f} polls/s, {f['reruns']:.1f} timed reruns/s ({f['errors']} polls failed); server CPU "
          f"{f['idle']:.3f} cores idle, {f['watching']:.3f} watching: {ms or 0:.2f} ms each", flush=True)  # fmt: skip
    return ms


def polls(sessions: int, seconds: float, repo: str | None) -> None:
    line = f"sessions={sessions}"
    with tempfile.TemporaryDirectory() as folder:
        if repo:
            (Path(folder) / "old").mkdir()
            before = cost(f"{repo} (timed reruns)", watching(Path(folder) / "old", Path(repo), sessions, seconds))
        (Path(folder) / "new").mkdir()
        now = cost("this checkout (HTTP polls)", watching(Path(folder) / "new", REPO, sessions, seconds))
    line += f" poll_ms={now:.2f}"
    if repo and before and now:
        line += f" rerun_ms={before:.2f} ratio={before / now:.1f}"
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=None, help="participants (default 30; with --polls 150)")
    parser.add_argument("--moves", type=int, default=18)
    parser.add_argument("--polls", action="store_true", help="the server's CPU per poll while nothing moves")
    parser.add_argument("--seconds", type=float, default=30, help="with --polls: how long each phase lasts")
    parser.add_argument("--repo", help="with --polls: an older checkout measured first (its timed reruns)")
    args = parser.parse_args()
    if args.polls:
        polls(args.sessions or 150, args.seconds, args.repo)
        return
    with tempfile.TemporaryDirectory() as folder:
        run(Path(folder), args.sessions or 30, args.moves)


if __name__ == "__main__":
    main()
