"""Benchmark: the tutorial's training pressed on the page against the same training from the command
line, on a quiet server and while a room draws, and the room's drawing latency while it trains.

    MNIST_DATA_DIR=/path/to/mnist python -m bench.bench_worker [--drawers 20] [--repeats 3]

One `streamlit run app.py` as a class runs it (its own training worker, a SQLite room). The peer is
`python -m mnist_core train --json` (the tutorial's 3 epochs) run beside that server, measured in the
same run. "page" is one Chromium session pressing Train with the tutorial's defaults: its training
loop's seconds as the worker recorded them (`train_seconds`, the figure the command line prints),
and the wall time from the click to the page saying it finished. Then `--drawers` websocket sessions
draw a "1" and clear it, a stroke about every second each (bench/generators/socket_room.py), and
both are measured again, with the drawers' stroke-to-answer latency while the page's training runs
against a stretch of the same length with no training.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from bench.browser import REPO, chromium, settle, streamlit_server
from bench.generators.socket_room import Room, record


def cli_seconds() -> tuple[float, float]:
    """(training loop seconds, wall seconds) of `python -m mnist_core train` with the tutorial's settings."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "mnist_core", "train", "--json", "--out", f"{folder}/t.pt"],
                              cwd=REPO, env=env, capture_output=True, text=True, check=True)  # fmt: skip
        wall = time.perf_counter() - began
    return json.loads(done.stdout.strip().splitlines()[-1])["train_seconds"], wall


def newest_job_seconds(room: str) -> float:
    engine = sa.create_engine(f"sqlite:///{room}")
    with engine.connect() as conn:
        metrics = conn.exec_driver_sql("SELECT metrics FROM room_jobs ORDER BY seq DESC LIMIT 1").scalar()
    engine.dispose()
    return json.loads(metrics)["train_seconds"]


def page_seconds(page, url: str, room: str) -> tuple[float, float]:
    """(training loop seconds, wall seconds from the click to "Finished") for one training from the page."""
    page.goto(f"{url}/?lang=en&section=train")
    settle(page)
    button = page.locator(".st-key-train_button button")
    began = time.perf_counter()
    button.click()
    page.get_by_text("Finished in").first.wait_for(timeout=600_000)
    return newest_job_seconds(room), time.perf_counter() - began


def spread(values: list[float]) -> str:
    return f"median {statistics.median(values):.2f} s (runs: {', '.join(f'{v:.2f}' for v in values)})"


def latency(runs: list[float]) -> str:
    if len(runs) < 2:
        return "no strokes"
    ordered = sorted(runs)
    return f"median {statistics.median(ordered):.3f} s, p95 {ordered[int(0.95 * (len(ordered) - 1))]:.3f} s ({len(ordered)} strokes)"


def measure(page, url: str, room: str, repeats: int, drawing: Room | None) -> None:
    cli, page_runs, during, idle = [], [], [], []
    for _ in range(repeats):
        cli.append(cli_seconds())
        first = drawing.strokes() if drawing else 0
        page_runs.append(page_seconds(page, url, room))
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
        recording = record(url)
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.set_default_timeout(120_000)
            measure(page, url, str(folder / "room.sqlite3"), args.repeats, None)
            if args.drawers:
                with Room(url, recording, sessions=args.drawers) as drawing:
                    measure(page, url, str(folder / "room.sqlite3"), args.repeats, drawing)


if __name__ == "__main__":
    main()
