"""Shared by the browser tests: `streamlit run app.py` on a free port, Chromium, mouse strokes.

Needs MNIST_DATA_DIR (the four IDX files) and /usr/bin/chromium; without them a test is skipped on
a developer's machine and fails in CI (CI=true), where their absence is a broken setup.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import REPO, need

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = REPO / "docs" / "screenshots"
VIEWPORT = {"width": 1400, "height": 1100}
STARTUP_S = 90


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_health(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"streamlit not healthy after {STARTUP_S} s:\n{log.read_text()[-3000:]}")


@contextmanager
def streamlit_server(log: Path):
    """`streamlit run app.py` on a free port, with the real data and the shipped checkpoints; yields its URL."""
    data_dir = os.environ.get("MNIST_DATA_DIR", "")
    need(bool(data_dir) and Path(data_dir).is_dir(), f"MNIST_DATA_DIR={data_dir!r} is not a folder of MNIST IDX files")
    need(Path(CHROMIUM).is_file(), f"{CHROMIUM} is missing (apt-get install chromium)")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "MNIST_CHECKPOINT_DIR"}  # the shipped checkpoints
    env["MNIST_DATA_DIR"] = str(Path(data_dir).resolve())
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]  # fmt: skip
    with log.open("w") as out:
        proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, proc, log)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # its own session: the server and nothing else
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


@contextmanager
def chromium():
    """Headless Debian Chromium driven by Playwright (its own browser downloads fail here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


IDLE = """() => !document.querySelector('[data-testid="stStatusWidget"]')
              && !document.querySelector('[data-testid="stSkeleton"]')"""


def settle(page) -> None:
    """Wait until the script run is over and every element is drawn: no loading skeleton, twice over
    (elements arrive one by one, and a skeleton appears only once its element has)."""
    for _ in range(2):
        page.wait_for_timeout(400)
        page.wait_for_function(IDLE)
    assert page.locator('[data-testid="stException"]').count() == 0, "an exception reached the page"


def screenshot(page, name: str) -> None:
    settle(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png")


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()
    page.wait_for_selector('[role="tab"][aria-selected="true"]:has-text("%s")' % name)


def stroke(page, canvas, points: list[tuple[float, float]]) -> None:
    """One mouse stroke through `points`, given as fractions of the canvas."""
    box = canvas.bounding_box()
    xy = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*xy[0])
    page.mouse.down()
    for (x0, y0), (x1, y1) in zip(xy, xy[1:]):
        for k in range(1, 11):
            page.mouse.move(x0 + (x1 - x0) * k / 10, y0 + (y1 - y0) * k / 10)
    page.mouse.up()


