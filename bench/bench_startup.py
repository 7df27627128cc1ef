"""Benchmark: a fresh server's first visitor: seconds to a usable canvas, and to the first test image.

    MNIST_DATA_DIR=/path/to/mnist python -m bench.bench_startup [--repeats 3] [--pause 3]

Each repeat starts a new `streamlit run app.py` and times it to a healthy server (its warm-up, which
app.py's `st.App` runs before the server opens, included), then (Chromium as in the browser tests) opens the page and
times it from navigation to the header, and to the canvas being drawable (its toolbar hidden, the Undo/Clear buttons
there), then, after `--pause` seconds of looking at the page (0: at once), clicks Test images and
times it to the test image on screen. The parsed-array cache is warm (a server that has run before).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench.browser import chromium, streamlit_server


def one(browser, pause: float) -> tuple[float, float, float, float]:
    launched = time.perf_counter()
    with streamlit_server(Path(tempfile.mkdtemp()) / "server.log") as url:
        ready = time.perf_counter() - launched  # `streamlit run` to a healthy server, its warm-up included
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        start = time.perf_counter()
        page.goto(f"{url}/?lang=en")
        page.locator(".app-title").wait_for(timeout=60_000)
        header = time.perf_counter() - start
        page.locator("canvas.upper-canvas").first.wait_for(timeout=60_000)  # Playwright sees into its shadow root
        page.locator(".canvas-controls button").first.wait_for(timeout=60_000)
        canvas = time.perf_counter() - start
        page.wait_for_timeout(pause * 1000)
        start = time.perf_counter()
        page.locator(".st-key-header").get_by_role("radio", name="Test images").click()
        page.wait_for_selector(".test-result", timeout=60_000)
        test_image = time.perf_counter() - start
        page.close()
    return ready, header, canvas, test_image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pause", type=float, default=3.0)
    args = parser.parse_args()
    with chromium() as browser:
        results = [one(browser, args.pause) for _ in range(args.repeats)]
    for i, (ready, header, canvas, test_image) in enumerate(results, 1):
        print(f"run {i}: server ready {ready:.2f} s; then header {header:.2f} s, usable canvas {canvas:.2f} s, "
              f"first test image {test_image:.2f} s (after {args.pause:g} s)")  # fmt: skip
    median = [statistics.median(r[k] for r in results) for k in range(4)]
    print(f"median: server ready {median[0]:.2f} s; header {median[1]:.2f} s, usable canvas {median[2]:.2f} s, "
          f"first test image {median[3]:.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
