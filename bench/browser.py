"""Shared by the browser tests and benchmarks: `streamlit run app.py` on a free port, Chromium, strokes and taps.

The browser: $MNIST_CHROMIUM if set, else Playwright's own Chromium where `playwright install
chromium` put one, else Debian's /usr/bin/chromium. The data: $MNIST_DATA_DIR, else OpenML (the
server downloads it once). Without a browser a test is skipped on a developer's machine and fails in
CI (CI=true), where its absence is a broken setup. Screenshots go to docs/screenshots/ only when
MNIST_SCREENSHOTS=1 (they are the README's); otherwise to the test's temporary folder.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from bench.prerequisites import need, on_ci
from mnist_app.i18n import text_in
from mnist_app.serve import free_port, wait_healthy

REPO = Path(__file__).resolve().parent.parent
DEBIAN_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
README_SCREENSHOTS = REPO / "docs" / "screenshots"
VIEWPORT = {"width": 1400, "height": 1000}
STARTUP_S = 90


def wait_for_health(url: str, proc: subprocess.Popen, log: Path) -> None:
    why = wait_healthy(url, proc, STARTUP_S)
    if why == "exited":
        pytest.fail(f"streamlit exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
    if why is not None:
        pytest.fail(f"streamlit not healthy after {STARTUP_S} s:\n{log.read_text()[-3000:]}")


@contextmanager
def streamlit_server(log: Path, **settings: str):
    """`streamlit run app.py` on a free port, with the real data and the shipped checkpoints; yields its URL.

    `settings` are environment variables for the server; the room is always a file beside the log."""
    data_dir = os.environ.get("MNIST_DATA_DIR", "")
    need(not data_dir or Path(data_dir).is_dir(), f"MNIST_DATA_DIR={data_dir!r} is not a folder of MNIST IDX files")
    need(not on_ci() or bool(data_dir), "CI sets MNIST_DATA_DIR: CI cannot reach OpenML")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "MNIST_CHECKPOINT_DIR"}  # the shipped checkpoints
    if data_dir:
        env["MNIST_DATA_DIR"] = str(Path(data_dir).resolve())
    env["MNIST_ROOM_DB"] = str(log.parent / "room.sqlite3")  # never the default in the home directory
    env.update(settings)
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


def chromium_path(playwright) -> str | None:
    """The browser to drive: None means Playwright's own (installed by `playwright install chromium`)."""
    if os.environ.get("MNIST_CHROMIUM"):
        return os.environ["MNIST_CHROMIUM"]
    if Path(playwright.chromium.executable_path).is_file():
        return None
    need(Path(DEBIAN_CHROMIUM).is_file(), "no Chromium: `playwright install chromium`, or apt-get install chromium")
    return DEBIAN_CHROMIUM


@contextmanager
def chromium():
    """Headless Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(p), args=CHROMIUM_ARGS, headless=True)
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


def screenshot(page, name: str, folder: Path) -> Path:
    """A screenshot: into docs/screenshots/ with MNIST_SCREENSHOTS=1 (the README's), else into `folder`."""
    settle(page)
    target = README_SCREENSHOTS if os.environ.get("MNIST_SCREENSHOTS") == "1" else folder
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=target / f"{name}.png")
    return target / f"{name}.png"


def open_section(page, label: str) -> None:
    """Click a section in the header's navigation, by its label in the page's language."""
    page.locator(".st-key-header").get_by_role("radio", name=label, exact=True).click()
    settle(page)


def touch_stroke(page, canvas, points: list[tuple[float, float]]) -> None:
    """One finger stroke through `points` (fractions of the canvas), as touch events a phone sends."""
    box = canvas.bounding_box()
    xy = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    steps = [xy[0]] + [(x0 + (x1 - x0) * k / 10, y0 + (y1 - y0) * k / 10) for (x0, y0), (x1, y1) in zip(xy, xy[1:]) for k in range(1, 11)]
    cdp = page.context.new_cdp_session(page)
    kinds = ["touchStart"] + ["touchMove"] * (len(steps) - 1)
    for kind, (x, y) in zip(kinds, steps):
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


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




def text(lang: str, key: str, **values) -> str:
    """What the page shows for a catalogue `key` in `lang`."""
    return text_in(lang, key, **values)  # with the particles and plurals the page finishes them with


def pattern(key: str, **groups: str) -> re.Pattern:
    """A Korean catalogue string as a regular expression, the fields named in `groups` as named groups."""
    found = re.escape(text("ko", key).replace("{", "\x00").replace("}", "\x01"))
    for name, group in groups.items():
        found = found.replace(re.escape(f"\x00{name}\x01"), f"(?P<{name}>{group})")
    return re.compile(found)


CELL_LABEL = pattern("evaluate.cell", true=r"\d", read=r"\d", n=r"\d+")


def busiest_mistake(page) -> tuple[str, int]:
    """The Evaluation section's confusion matrix: the label of its off-diagonal cell with the most mistakes, and their number."""
    labels = page.locator(".st-key-evaluate_matrix path[aria-label]").evaluate_all("els => els.map(e => e.ariaLabel)")
    cells = [(label, CELL_LABEL.fullmatch(label)) for label in labels]
    label, found = max(((l, m) for l, m in cells if m and m["true"] != m["read"]), key=lambda c: int(c[1]["n"]))
    return label, int(found["n"])
