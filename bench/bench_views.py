"""Benchmark: how fast the lesson, evaluation and inside views answer a click while a room draws.

    MNIST_DATA_DIR=/path/to/mnist python bench/bench_views.py [--drawers 20] [--repeats 5]

One `streamlit run app.py`; `--drawers` Chromium sessions keep drawing a "1" and clearing it (their
own thread and browser, as a room's laptops would), while one more session, warm (each view opened
once first), clicks: the lesson's Next and Previous, a cell of the confusion matrix and the same cell
again, a misclassified digit (its dialog), the experiment bench's shift slider and the inside view's
test image. A click is timed in the page, from the click to the last change the page makes after it
(a MutationObserver; the page counts as done once its script run is over and nothing has changed for
0.6 s). Run it with `--drawers 0` for the peer: the same clicks on an idle server.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from browser import IDLE, chromium, open_section, settle, streamlit_server, stroke  # noqa: E402
from helpers_app import T  # noqa: E402
from test_e2e_browser import busiest_mistake  # noqa: E402

ONE = ([(0.42, 0.30), (0.55, 0.14)], [(0.55, 0.14), (0.52, 0.50), (0.50, 0.86)])  # flag and stem
# Before a click: note the time of every change to the page from now on.
WATCH = """() => {
  window.__clickAt = Date.now(); window.__lastChange = null;
  window.__observer?.disconnect();
  window.__observer = new MutationObserver(() => { window.__lastChange = Date.now(); });
  window.__observer.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
}"""
QUIET = f"""() => window.__lastChange !== null && Date.now() - window.__lastChange > 600 && ({IDLE})()"""


def draw_forever(url: str, drawers: int, stop: threading.Event, ready: threading.Event, strokes: list[int]) -> None:
    """The room: each session draws a "1" and clears it, round after round, until `stop`."""
    with chromium() as browser:
        pages = [browser.new_page(viewport={"width": 1280, "height": 720}) for _ in range(drawers)]
        for page in pages:
            page.set_default_timeout(120_000)
            page.goto(f"{url}/?lang=en")
            page.locator("canvas.upper-canvas").first.wait_for()
        ready.set()
        while not stop.is_set():
            for page in pages:
                canvas = page.locator("canvas.upper-canvas").first
                for points in ONE:
                    stroke(page, canvas, points)
                    strokes[0] += 1
            for page in pages:
                page.get_by_role("button", name="Clear").click()


def timed(page, click) -> float:
    """Seconds from `click()` to the page's last change after it."""
    page.evaluate(WATCH)
    click()
    page.wait_for_function(QUIET, timeout=120_000, polling=50)
    return page.evaluate("(window.__lastChange - window.__clickAt) / 1000")


def lesson_clicks(page, repeats: int) -> dict[str, list[float]]:
    open_section(page, T("ko", "section.lesson"))
    times: dict[str, list[float]] = {"lesson: Next": [], "lesson: Previous": []}
    for _ in range(repeats):
        times["lesson: Next"].append(timed(page, page.locator(".st-key-lesson_next button").click))
        times["lesson: Previous"].append(timed(page, page.locator(".st-key-lesson_prev button").click))
    return times


def evaluation_clicks(page, repeats: int) -> dict[str, list[float]]:
    open_section(page, T("ko", "section.evaluate"))
    page.wait_for_selector(".st-key-evaluate_gallery path[aria-label]")
    cell = page.locator(f'.st-key-evaluate_matrix path[aria-label="{busiest_mistake(page)[0]}"]')
    times: dict[str, list[float]] = {"evaluation: a cell": [], "evaluation: a digit": []}
    for _ in range(repeats):
        times["evaluation: a cell"].append(timed(page, cell.click))  # its mistakes
        times["evaluation: a digit"].append(timed(page, page.locator(".st-key-evaluate_gallery path[aria-label]").first.click))
        page.keyboard.press("Escape")
        page.get_by_role("dialog").wait_for(state="detached")
        settle(page)
        times["evaluation: a cell"].append(timed(page, cell.click))  # the same cell again: all mistakes
    return times


def inside_clicks(page, repeats: int) -> dict[str, list[float]]:
    open_section(page, T("ko", "section.inside"))
    slider = page.locator(".st-key-bench_dx input[type=range]")
    index = page.locator(".st-key-inside_index input")
    times: dict[str, list[float]] = {"inside: shift slider": [], "inside: test image": []}
    for i in range(repeats):
        slider.focus()
        times["inside: shift slider"].append(timed(page, lambda: page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")))
        times["inside: test image"].append(timed(page, lambda: (index.fill(str(2018 + i + 1)), index.press("Enter"))))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drawers", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    with streamlit_server(Path(tempfile.mkdtemp()) / "server.log") as url:
        stop, ready, strokes = threading.Event(), threading.Event(), [0]
        room = threading.Thread(target=draw_forever, args=(url, args.drawers, stop, ready, strokes), daemon=True)
        if args.drawers:
            room.start()
            ready.wait(timeout=600)
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.set_default_timeout(120_000)
            page.goto(f"{url}/?lang=ko")
            for warm in ("lesson", "evaluate", "inside"):  # warm: data, predictions and figures cached
                open_section(page, T("ko", f"section.{warm}"))
            start, begun = time.perf_counter(), strokes[0]
            times = lesson_clicks(page, args.repeats) | evaluation_clicks(page, args.repeats) | inside_clicks(page, args.repeats)
            rate = (strokes[0] - begun) / (time.perf_counter() - start)
        stop.set()
        room.join(timeout=120) if args.drawers else None
    print(f"{args.drawers} drawing sessions ({rate:.1f} strokes a second while the clicks were timed)")
    for kind, values in times.items():
        print(f"  {kind:24s} n={len(values):2d}  median {statistics.median(values) * 1000:5.0f} ms  slowest {max(values) * 1000:5.0f} ms")
    every = [v for values in times.values() for v in values]
    print(f"  all clicks: median {statistics.median(every) * 1000:.0f} ms, slowest {max(every) * 1000:.0f} ms, "
          f"{sum(v <= 0.3 for v in every)}/{len(every)} within 300 ms")
    print(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
