"""A workshop in one server: a room of Chromium pages draws at once, idle and while four more train at once.

    MNIST_DATA_DIR=/path/to/mnist python -m bench.bench_room [--drawers 20]

Real Chromium contexts (each its own Streamlit session, as 20 laptops would be) against one
`streamlit run app.py`. Prints the predictions' median, p95 and slowest (timed in the page from the
release of the last stroke to its answer), idle and during the trainings, and the four trainings' time
against one alone, times four. A run stops on what would make its figures meaningless: a drawing not
answered with a 1, a drawing session shown a trainer's unsaved model, a drawing stored twice or lost,
trainings that never met the drawings, an exception on a page or in the server's log.

    MNIST_DATA_DIR=/path/to/mnist python -m bench.bench_room --sessions 100 [--seconds 60] [--processes P]

A lecture hall (issue 25): `--sessions` websocket sessions replaying what a real Chromium sent when
it drew a "1" and cleared it (bench/generators/socket_room.py: a message about every second each),
and, as its page does while it waits, a poll of the presenter's position every second,
for `--seconds`, against the production setup (`python -m mnist_app.serve`: app servers behind nginx;
`--processes` of them, default serve's own). `--single`: one plain `streamlit run app.py` instead,
the setup before serve (`--repo`: another checkout's page, e.g. a worktree of an older commit);
`--compare`: that single server first, then the production setup, in one run. Prints the server's
CPU (of all cores) and the machine's load; its last line is `sessions=N median=X.XXXs p95=Y.YYYs`,
seconds from a stroke's message to the end of its answer (the run's script_finished).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

from bench.browser import REPO, chromium, open_section, settle, streamlit_server, stroke, text
from bench.generators.socket_room import Room, record
from bench.serving import cpu_seconds, production, single
from mnist_app.room import open_store

# Set before the last stroke: the page notes when the answer to a drawing of `strokes` strokes appears.
WATCH = """(strokes) => {
  window.__answeredAt = null;
  const selector = `#prediction[data-strokes="${strokes}"]`;
  new MutationObserver((_, observer) => {
    if (document.querySelector(selector)) { window.__answeredAt = Date.now(); observer.disconnect(); }
  }).observe(document.body, {subtree: true, childList: true, attributes: true});
}"""


def start_drawing(page, strokes_before: int) -> None:
    """The two strokes of a "1" (flag, stem), timed from the release of the last one; no waiting."""
    canvas = page.locator("canvas.upper-canvas").first
    stroke(page, canvas, [(0.42, 0.30), (0.55, 0.14)])
    page.evaluate(WATCH, strokes_before + 2)
    stroke(page, canvas, [(0.55, 0.14), (0.52, 0.50), (0.50, 0.86)])
    page.evaluate("window.__strokeAt = Date.now()")


def answer(page) -> dict:
    """Wait for the answer to the last stroke; what it says and how long it took."""
    page.wait_for_function("window.__answeredAt !== null", timeout=120_000)
    seconds = page.evaluate("(window.__answeredAt - window.__strokeAt) / 1000")
    prediction = page.locator("#prediction")
    return {"seconds": max(0.0, seconds), "digit": int(prediction.get_attribute("data-digit")), "note": prediction.inner_text()}


def drawing_round(pages: list, strokes_before: int) -> list[dict]:
    """Every page draws a "1"; then each says it was right (the room stores it) and clears."""
    for page in pages:  # all strokes first: the server answers the sessions concurrently
        start_drawing(page, strokes_before)
    answers = [answer(page) for page in pages]
    for page in pages:
        page.get_by_role("button", name="Right").click()
    for page in pages:
        page.get_by_text("Thanks! Added").wait_for()
        page.get_by_role("button", name="Clear").click()
    return answers


TRAINERS = 4
FINISHED = "Finished in"


def figures(answers: list[dict]) -> str:
    seconds = sorted(a["seconds"] for a in answers)
    p95 = seconds[min(len(seconds) - 1, round(0.95 * (len(seconds) - 1)))]
    return f"{len(seconds)} predictions, median {statistics.median(seconds):.2f} s, p95 {p95:.2f} s, slowest {seconds[-1]:.2f} s"


def press_train(page) -> float:
    page.get_by_role("button", name="Train", exact=True).last.click()
    return time.monotonic()


def finished(page) -> bool:
    return page.get_by_text(FINISHED).count() > 0


def run(folder: Path, drawers: int) -> None:
    epochs = str(max(8, drawers * 2 // 5))  # each training long enough that the four outlast a round of drawings
    with streamlit_server(folder / "server.log", MNIST_PRESENTER_KEY="k") as url, chromium() as browser:
        pages = []
        for _ in range(drawers + TRAINERS):
            page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
            page.set_default_timeout(240_000)
            page.goto(f"{url}/?lang=en")
            page.wait_for_selector("#draw-prompt")
            pages.append(page)
        trainers, sessions = pages[:TRAINERS], pages[TRAINERS:]
        idle = drawing_round(sessions, 0)  # the server doing nothing else

        open_section(trainers[0], "Test images")  # the data loaded before anything is timed
        trainers[0].wait_for_selector(".test-result")
        for page in trainers:
            open_section(page, "Train")
            field = page.get_by_label("Epochs")
            field.fill(epochs)
            field.press("Enter")
            settle(page)
        start = press_train(trainers[0])  # one training alone: the yardstick
        trainers[0].get_by_text(FINISHED).wait_for()
        alone = time.monotonic() - start

        start = [press_train(page) for page in trainers][0]  # four at once
        trainers[-1].get_by_text("Waiting: number").wait_for()  # the last in line sees its place
        assert not finished(trainers[0])  # its new training replaced the old one's end
        during = drawing_round(sessions, 0)
        overlapped = not all(finished(page) for page in trainers)
        while not all(finished(page) for page in trainers):
            assert time.monotonic() - start < 600, "four tutorial trainings still not done after 10 minutes"
            trainers[0].wait_for_timeout(250)
        four = time.monotonic() - start

        print(f"\n{drawers} drawing sessions, idle server: {figures(idle)}")
        print(f"{drawers} drawing sessions while {TRAINERS} trainings ran: {figures(during)}")
        print(f"{TRAINERS} tutorial trainings pressed at once: all done in {four:.1f} s; one alone {alone:.1f} s "
              f"(x{TRAINERS} = {TRAINERS * alone:.1f} s, ratio {four / (TRAINERS * alone):.2f})")  # fmt: skip
        assert overlapped  # the drawings really met the trainings
        answers = idle + during
        assert [a["digit"] for a in answers] == [1] * len(answers)
        assert all("model: best_mlp" in a["note"] or "model: tutorial" in a["note"] for a in answers)  # never a trainer's
        own = f"{text('en', 'model.own')} ({text('en', 'model.unsaved')})"  # the header's name for a trainer's model
        for page in trainers:
            assert own in page.locator('[data-testid="stMainBlockContainer"]').inner_text()
        stored = open_store(str(folder / "room.sqlite3")).recent(1000)
        assert len(stored) == len(answers) and len({d.id for d in stored}) == len(answers)  # each once, none lost
        assert len({d.session_id for d in stored}) == drawers
        wall = trainers[0].context.new_page()
        wall.goto(f"{url}/?lang=en&section=room&key=k")
        wall.wait_for_selector(f'.tile[data-id="{max(d.id for d in stored)}"]')  # the presenter's wall shows them
        for page in [*pages, wall]:
            settle(page)  # also asserts that no exception reached the page


def own_cpu() -> float:
    """This process's CPU seconds (the sessions' thread among them), not its children's (the servers)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


WARM_S = 5  # the first seconds of a room: every session's first stroke at once, not a room drawing


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def hall(url: str, pid: int, sessions: int, seconds: float, pause: float) -> str:
    """`sessions` replayed drawers for `seconds`; prints what it saw, returns the figures' line."""
    with Room(url, record(url), sessions=sessions, pause=pause) as room:
        time.sleep(WARM_S)
        start, used, mine, first = time.monotonic(), cpu_seconds(pid), own_cpu(), room.strokes()
        polled, timed = len(room.polls), len(room.timed_runs)
        time.sleep(seconds)
        wall, runs = time.monotonic() - start, room.runs[first : room.strokes()]
        polls, timed = room.polls[polled:], room.timed_runs[timed:]
        cpu, client = cpu_seconds(pid) - used, own_cpu() - mine
    load = os.getloadavg()[0]
    print(f"{len(runs)} strokes in {wall:.0f} s ({len(runs) / wall:.1f}/s); server CPU {cpu / wall:.2f} cores "
          f"({1000 * cpu / max(1, len(runs)):.1f} ms a stroke, the polls' share included), these sessions' "
          f"{client / wall:.2f}; load average {load:.2f}; slowest {max(runs):.3f} s")  # fmt: skip
    print(f"while waiting: {len(polls) / wall:.1f} polls of api/presence a second (median "
          f"{statistics.median(polls or [0]):.3f} s, {room.poll_errors} unanswered), {len(timed) / wall:.1f} "
          f"timed reruns a second")  # fmt: skip
    return f"sessions={sessions} median={statistics.median(runs):.3f}s p95={p95(runs):.3f}s"


def lecture_hall(folder: Path, args: argparse.Namespace) -> None:
    settings = {"MNIST_WORKERS": "1"}  # a training worker waiting, as in a class (it takes no CPU while idle)
    if args.single or args.compare:
        with single(folder / "single", Path(args.repo), **settings) as (url, pid):
            line = hall(url, pid, args.sessions, args.seconds, args.pause)
        print(f"single server ({args.repo}): {line}" if args.compare else line, flush=True)
    if not args.single:
        with production(folder / "serve", args.processes) as (url, pid):
            print(hall(url, pid, args.sessions, args.seconds, args.pause), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drawers", type=int, default=20, help="drawing sessions (the trainers come on top)")
    parser.add_argument("--sessions", type=int, help="a lecture hall: this many websocket sessions drawing, no Chromium")
    parser.add_argument("--seconds", type=float, default=60, help="with --sessions: how long the room draws (default 60)")
    parser.add_argument("--pause", type=float, default=1.0, help="with --sessions: seconds between a session's messages")
    parser.add_argument("--processes", type=int, help="with --sessions: app servers behind nginx (default: serve's)")
    parser.add_argument("--single", action="store_true", help="with --sessions: one plain streamlit run, no nginx")
    parser.add_argument("--compare", action="store_true", help="with --sessions: --single first, then the production setup")
    parser.add_argument("--repo", default=str(REPO), help="with --single/--compare: the checkout whose page it serves")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for part in ("single", "serve"):
            (Path(folder) / part).mkdir()
        if args.sessions:
            lecture_hall(Path(folder), args)
        else:
            run(Path(folder), args.drawers)


if __name__ == "__main__":
    main()
