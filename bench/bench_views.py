"""Benchmark: how fast the lesson, evaluation and inside views answer a click while a room draws.

    MNIST_DATA_DIR=/path/to/mnist python -m bench.bench_views [--drawers 20] [--room sockets|browsers] [--repeats 5]

One `streamlit run app.py`; `--drawers` sessions keep drawing a "1" and clearing it, while one more
session, in Chromium, warm (each view opened once first), clicks. The room is `sockets` by default:
websockets that send what a browser sends for each stroke, a stroke about every `--pause` seconds
each, as a room's laptops would (socket_room.py says why); or `browsers`: Chromium pages on this
machine, driven one after another by one thread. The clicks: the lesson's Next and Previous, a cell of the confusion matrix and the same cell
again, a misclassified digit (its dialog), the inside view's next page of templates, the experiment
bench's shift slider and another test image. Each click is timed in the page twice: "answered", from
the click to the moment the script run is over (no run indicator, no skeleton) and the click's own new
content is there (the lesson's step, the gallery's digits, the dialog's result, the page's images,
all loaded); and "settled", to the last change the page makes after it (a MutationObserver; the page
counts as settled once its script run is over and nothing has changed for 0.6 s). Run it with
`--drawers 0` for the peer: the same clicks on an idle server.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from bench.browser import IDLE, busiest_mistake, chromium, open_section, settle, streamlit_server, stroke, text
from bench.generators.socket_room import ONE, Room, record

# What a click changes, as a string the page can compare before and after it.
STEP = "() => document.querySelector('.lesson-title')?.dataset.step"
GALLERY = "() => [...document.querySelectorAll('.st-key-evaluate_gallery path[aria-label]')].map(e => e.ariaLabel).join()"
DIALOG = "() => String(document.querySelectorAll('[role=dialog] .test-result').length)"
IMAGES = """() => { const images = [...document.querySelectorAll('img')];
  return images.every(i => i.complete) ? images.map(i => i.src).join() : null; }"""
# Before a click: note the time of every change to the page from now on, and of the click's answer.
WATCH = """(changed) => {
  window.__changed = eval(changed); window.__before = window.__changed();
  window.__clickAt = Date.now(); window.__lastChange = null; window.__answeredAt = null;
  window.__observer?.disconnect();
  window.__observer = new MutationObserver(() => { window.__lastChange = Date.now(); });
  window.__observer.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
}"""
ANSWERED = f"""() => {{ const now = window.__changed();
  if (window.__answeredAt === null && now !== null && now !== window.__before && ({IDLE})()) window.__answeredAt = Date.now();
  return window.__answeredAt !== null; }}"""
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


def timed(page, changed: str, click) -> tuple[float, float]:
    """Seconds from `click()` to its answer (run over, `changed()` no longer what it was) and to the page's last change."""
    page.evaluate(WATCH, changed)
    click()
    page.wait_for_function(ANSWERED, timeout=120_000, polling=20)
    page.wait_for_function(QUIET, timeout=120_000, polling=50)
    return page.evaluate("[(window.__answeredAt - window.__clickAt) / 1000, (Math.max(window.__lastChange, window.__answeredAt) - window.__clickAt) / 1000]")


def lesson_clicks(page, repeats: int) -> dict[str, list]:
    open_section(page, text("ko", "section.lesson"))
    times: dict[str, list] = {"lesson: Next": [], "lesson: Previous": []}
    for _ in range(repeats):
        times["lesson: Next"].append(timed(page, STEP, page.locator(".st-key-lesson_next button").click))
        times["lesson: Previous"].append(timed(page, STEP, page.locator(".st-key-lesson_prev button").click))
    return times


def evaluation_clicks(page, repeats: int) -> dict[str, list]:
    open_section(page, text("ko", "section.evaluate"))
    page.wait_for_selector(".st-key-evaluate_gallery path[aria-label]")
    cell = page.locator(f'.st-key-evaluate_matrix path[aria-label="{busiest_mistake(page)[0]}"]')
    times: dict[str, list] = {"evaluation: a cell": [], "evaluation: a digit": []}
    for _ in range(repeats):
        times["evaluation: a cell"].append(timed(page, GALLERY, cell.click))  # its mistakes
        digit = page.locator(".st-key-evaluate_gallery path[aria-label]").first
        times["evaluation: a digit"].append(timed(page, DIALOG, digit.click))
        page.keyboard.press("Escape")
        page.get_by_role("dialog").wait_for(state="detached")
        settle(page)
        times["evaluation: a cell"].append(timed(page, GALLERY, cell.click))  # the same cell again: all mistakes
    return times


def inside_clicks(page, repeats: int) -> dict[str, list]:
    open_section(page, text("ko", "section.inside"))
    pager = page.locator(".st-key-inside_offset")
    slider = page.locator(".st-key-bench_dx input[type=range]")
    index = page.locator(".st-key-inside_index input")
    times: dict[str, list] = {"inside: templates page": [], "inside: shift slider": [], "inside: test image": []}
    for i in range(repeats):
        step = "stNumberInputStepUp" if i % 2 == 0 else "stNumberInputStepDown"
        times["inside: templates page"].append(timed(page, IMAGES, pager.get_by_test_id(step).click))
        slider.focus()
        times["inside: shift slider"].append(timed(page, IMAGES, lambda: page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")))
        times["inside: test image"].append(timed(page, IMAGES, lambda: (index.fill(str(2018 + i + 1)), index.press("Enter"))))
    return times


def ms(values: list[float]) -> str:
    """Median and slowest, in milliseconds."""
    return f"{statistics.median(values) * 1000:5.0f} {max(values) * 1000:5.0f}"


def report(times: dict[str, list]) -> None:
    print(f"  {'click':24s}  n   answered (ms)   settled (ms)")
    print(f"  {'':24s}     median  max  median  max")
    for kind, values in times.items():
        print(f"  {kind:24s} {len(values):2d}  {ms([a for a, _ in values])}   {ms([s for _, s in values])}")
    every = [v for values in times.values() for v in values]
    for n, what in enumerate(("answered", "settled")):
        mine = [v[n] for v in every]
        print(f"  all clicks, {what}: median {statistics.median(mine) * 1000:.0f} ms, slowest {max(mine) * 1000:.0f} ms, "
              f"{sum(v <= 0.3 for v in mine)}/{len(mine)} within 300 ms")


def clicks(url: str, repeats: int, strokes) -> tuple[dict[str, list], float]:
    """Every view's clicks from one warm Chromium session; their times, and the room's strokes a second meanwhile."""
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.set_default_timeout(120_000)
        page.goto(f"{url}/?lang=ko")
        for warm in ("lesson", "evaluate", "inside"):  # warm: data, predictions and figures cached
            open_section(page, text("ko", f"section.{warm}"))
        start, begun = time.perf_counter(), strokes()
        times = lesson_clicks(page, repeats) | evaluation_clicks(page, repeats) | inside_clicks(page, repeats)
        return times, (strokes() - begun) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drawers", type=int, default=20)
    parser.add_argument("--room", choices=("sockets", "browsers"), default="sockets")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between a socket session's strokes (about)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    log = Path(tempfile.mkdtemp()) / "server.log"
    with streamlit_server(log) as url:
        if args.room == "sockets":
            with Room(url, record(url), sessions=args.drawers, pause=args.pause) as room:
                times, rate = clicks(url, args.repeats, room.strokes)
            if room.runs:
                print(f"the room's {len(room.runs)} strokes, each sent to its run's end: median, slowest {ms(room.runs)} ms")
        else:
            stop, ready, strokes = threading.Event(), threading.Event(), [0]
            room = threading.Thread(target=draw_forever, args=(url, args.drawers, stop, ready, strokes), daemon=True)
            if args.drawers:
                room.start()
                ready.wait(timeout=600)
            times, rate = clicks(url, args.repeats, lambda: strokes[0])
            stop.set()
            room.join(timeout=120) if args.drawers else None
    print(f"{args.drawers} drawing sessions, {args.room} ({rate:.1f} strokes a second while the clicks were timed)")
    report(times)
    print(f"server log: {log}")
    print(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
