"""Benchmark: the tutorial's training pressed on the page against the same training from the command
line, on a quiet server and while a room draws, and the room's drawing latency while it trains.

    MNIST_DATA_DIR=/path/to/mnist python -m bench.bench_worker [--drawers 20] [--repeats 3]

One `streamlit run app.py` as a class runs it (its own training worker, a SQLite room). The peer is
`python -m mnist_core train --json` (the tutorial's 3 epochs) run beside that server, measured in the
same run. "page" is a participant's page pressing Train with the tutorial's defaults and watching it:
the messages a real Chromium sends for that (its click, then its progress and follow fragments'
timed reruns, once a second each) are recorded once, then replayed over the websocket, so the
server does all a watching page costs it while no browser renders on this machine (in a room the
browsers are the participants' laptops; a local Chromium took more CPU than the web server). Its
figures: the training loop's seconds as the worker recorded them (`train_seconds`, what the command
line prints) and the wall time from the click to the job's end; and the CPU seconds the worker and
the web server used meanwhile. Then `--drawers` websocket sessions draw a "1" and clear it, a stroke
about every second each (bench/generators/socket_room.py), and both are measured again, with the
drawers' stroke-to-answer latency while the page's training runs against a stretch of the same
length with no training.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg

from bench.browser import REPO, chromium, settle, streamlit_server
from bench.generators.socket_room import Room, frames_sent, record, send_and_wait


def cli_seconds() -> tuple[float, float]:
    """(training loop seconds, wall seconds) of `python -m mnist_core train` with the tutorial's settings."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "mnist_core", "train", "--json", "--out", f"{folder}/t.pt"],
                              cwd=REPO, env=env, capture_output=True, text=True, check=True)  # fmt: skip
        wall = time.perf_counter() - began
    return json.loads(done.stdout.strip().splitlines()[-1])["train_seconds"], wall


def newest_job(room: str) -> tuple | None:
    """(id, status, metrics) of the room's newest training."""
    engine = sa.create_engine(f"sqlite:///{room}")
    with engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT id, status, metrics FROM room_jobs ORDER BY seq DESC LIMIT 1").first()
    engine.dispose()
    return None if row is None else tuple(row)


ROLES = {"worker": "mnist_app.worker", "web server": "streamlit", "Chromium": "chromium"}


def cpu_by_role() -> dict[str, float]:
    """CPU seconds used so far by the processes of each role (read from /proc: Linux only)."""
    ticks, used = os.sysconf("SC_CLK_TCK"), dict.fromkeys(ROLES, 0.0)
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        role = next((r for r, word in ROLES.items() if word in command), None)
        if role:
            used[role] += (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    return used


def record_watching(url: str) -> tuple[list[bytes], str]:
    """What a browser sends to open Train, press it and watch: its first message, the click, and one
    timed rerun of each of its fragments (their widget values dropped: the server keeps a session's)."""
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        sent = frames_sent(page)
        page.goto(f"{url}/?lang=en&section=train")
        settle(page)
        opened = len(sent)
        page.locator(".st-key-train_button button").click()
        page.get_by_text("Finished in").first.wait_for(timeout=600_000)
        xsrf = next(c["value"] for c in page.context.cookies() if c["name"] == "_streamlit_xsrf")
    backs = [BackMsg.FromString(m) for m in sent]
    click = next(m for m in sent[opened:] if not BackMsg.FromString(m).rerun_script.fragment_id)
    polls = {}
    for back in backs[opened:]:
        if back.WhichOneof("type") == "rerun_script" and back.rerun_script.fragment_id:
            back.rerun_script.widget_states.Clear()
            polls[back.rerun_script.fragment_id] = back.SerializeToString()
    return [sent[0], click, *polls.values()], xsrf


async def _watch(url: str, messages: list[bytes], xsrf: str, room: str) -> float:
    """Open the page, press Train, poll as the page's timers do until the job ends; seconds from the click."""
    ws_url = url.replace("http", "ws", 1) + "/_stcore/stream"
    headers = {"Cookie": f"_streamlit_xsrf={xsrf}", "Origin": url}
    opening, click, *polls = messages
    async with websockets.connect(ws_url, subprotocols=["streamlit", xsrf], additional_headers=headers, max_size=None) as ws:
        await send_and_wait(ws, opening)
        before, began = newest_job(room), time.perf_counter()
        await send_and_wait(ws, click)
        while (job := newest_job(room)) == before or job[1] in ("queued", "untrained", "training", "testing"):
            for poll in polls:  # the page's timers: each fragment asks for its rerun once a second
                await send_and_wait(ws, poll)
            await asyncio.sleep(1.0)
        return time.perf_counter() - began  # not the websocket's closing handshake


def page_seconds(url: str, recording: tuple[list[bytes], str], room: str) -> tuple[float, float]:
    """(training loop seconds, wall seconds from the click to the job's end) for one training pressed
    and watched from a page (its recorded messages replayed)."""
    cpu = cpu_by_role()
    wall = asyncio.run(_watch(url, *recording, room))
    spent = {role: used - cpu[role] for role, used in cpu_by_role().items()}
    print("  CPU seconds while it trained: " + ", ".join(f"{role} {v:.1f}" for role, v in spent.items() if role != "Chromium"))
    return json.loads(newest_job(room)[2])["train_seconds"], wall


def spread(values: list[float]) -> str:
    return f"median {statistics.median(values):.2f} s (runs: {', '.join(f'{v:.2f}' for v in values)})"


def latency(runs: list[float]) -> str:
    if len(runs) < 2:
        return "no strokes"
    ordered = sorted(runs)
    return f"median {statistics.median(ordered):.3f} s, p95 {ordered[int(0.95 * (len(ordered) - 1))]:.3f} s ({len(ordered)} strokes)"


def measure(url: str, recording, room: str, repeats: int, drawing: Room | None) -> None:
    cli, page_runs, during, idle = [], [], [], []
    for _ in range(repeats):
        cli.append(cli_seconds())
        first = drawing.strokes() if drawing else 0
        page_runs.append(page_seconds(url, recording, room))
        if drawing:
            during += drawing.runs[first:]
            first = drawing.strokes()
            time.sleep(page_runs[-1][1])  # as long again with no training
            idle += drawing.runs[first:]
    label = f"{drawing.sessions} drawing" if drawing else "quiet"
    loop_ratio = statistics.median(p[0] for p in page_runs) / statistics.median(c[0] for c in cli)
    print(f"[{label}] command line: loop {spread([c[0] for c in cli])}, wall {spread([c[1] for c in cli])}")
    print(f"[{label}] page:         loop {spread([p[0] for p in page_runs])}, click to finished {spread([p[1] for p in page_runs])}")
    print(f"[{label}] page / command line, training loop: {loop_ratio:.2f}x")
    if drawing:
        print(f"[{label}] drawing latency while the page's training runs: {latency(during)}; without a training: {latency(idle)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--drawers", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench_worker-"))
    with streamlit_server(folder / "server.log") as url:
        drawer, watcher = record(url), record_watching(url)
        room = str(folder / "room.sqlite3")
        measure(url, watcher, room, args.repeats, None)
        if args.drawers:
            with Room(url, drawer, sessions=args.drawers) as drawing:
                measure(url, watcher, room, args.repeats, drawing)

if __name__ == "__main__":
    main()
