"""Benchmark: retraining on a room's drawings, and what the live view costs a training and a room.

    MNIST_DATA_DIR=/path/to/mnist python -m bench.bench_retrain retrain [--participants 24 --each 15 --base tutorial best_mlp]
    MNIST_DATA_DIR=/path/to/mnist python -m bench.bench_retrain live [--drawers 4 --repeats 3]
    MNIST_DATA_DIR=/path/to/mnist python -m bench.bench_retrain slowdown [--pairs 5]

`retrain`: a room's drawings stand-in: the last participants x each test digits of the seed split,
redrawn with one round pen by simulated participants (bench/generators/pen_drawn.py: each participant
keeps one pen width and one random hand, seeded by the participant) and prepared as the canvas's
are; they are stored in a SQLite room under their participant's token, a retraining job is queued
(mnist_app.retrain: a third of the participants held out) and run by a training worker in this
process. The MNIST test images scored are the seed split's test part without those digits. Printed:
old and new accuracy on the held-out drawings and on the test images, the drawings and participants
on each side, and the seconds the fine-tuning took (training loop; and claim to finish).

`live`: one `streamlit run app.py` with its training worker; the tutorial's training (3 epochs) is
queued alternately with the live view's snapshots on and off (spec {"live": false}), while a Chromium
page shows the presenter's Board (its live view polling) and `--drawers` Chromium pages draw a "1" and
clear it, round after round, timed in the page from the last stroke's release to the answer
(bench/bench_room.py's measure). Printed: the training loop's seconds with and without snapshots
(the slowdown), and the drawers' stroke-to-answer latency during each kind (median, p95).

`slowdown`: the same trainings without a server or browsers, in this process through the worker's
own `train`, in pairs (on/off, the order alternating), so a busy machine's swings hit both alike;
also the share of the training loop the snapshots themselves took (timed inside the Recorder).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from bench.generators import pen_drawn


def room_stand_in(split, participants: int, each: int):
    """(x (N, 784) float32, y, tokens): pen-drawn test digits, each participant with its own pen."""
    from mnist_core.preprocess import prepare

    n = participants * each
    digits, labels = split.x_test[-n:], split.y_test[-n:]
    xs, who = [], []
    for p in range(participants):
        rng = np.random.default_rng(p)
        width = float(rng.uniform(*pen_drawn.PEN_PX))
        part = slice(p * each, (p + 1) * each)
        xs += [prepare(c).flat for c in pen_drawn.drawings(digits[part], seed=p, pen_px=(width, width + 2))]
        who += [f"{p:032x}"] * each
    return np.stack(xs).astype(np.float32), labels.astype(np.int64), who


def fill_room(location: str, x, y, who) -> None:
    from mnist_app.room import open_store
    from mnist_app.room.records import thumbnail_png

    store = open_store(location, flood_per_minute=10**6)
    for xi, yi, p in zip(x, y, who):
        ink = (xi.reshape(28, 28) * 255).astype(np.uint8)
        store.add(session_id=p, label=int(yi), model="bench", predicted=0, probabilities=[0.1] * 10, input28=xi, thumbnail=thumbnail_png(ink))
    store.close()


def retrain(base: str, location: str, split) -> None:
    from mnist_app import worker
    from mnist_app.retrain import FINE_TUNE, base_checkpoint, plan, spec
    from mnist_app.room import open_store
    from mnist_app.room.queue import JobQueue
    from mnist_app.settings import max_train_seconds

    store = open_store(location)
    queue, stop = JobQueue(store), threading.Event()
    config = base_checkpoint(store, base).model_config
    n = len(store.all_inputs()[1])
    rows = plan(config, n, max_train_seconds())
    job = queue.submit(config, FINE_TUNE, owner="p" * 32, nick="BENCH", estimate=1.0, extra=spec(base, rows) | {"salt": "bench"})
    thread = threading.Thread(target=worker.serve, args=(store, stop), kwargs={"load": lambda: split}, daemon=True)
    began = time.perf_counter()
    thread.start()
    while (done := queue.get(job.id)).running:
        time.sleep(0.2)
    wall = time.perf_counter() - began
    stop.set()
    thread.join(60)
    store.close()
    assert done.status == "finished", done.error
    s, d = done.metrics["retrain"], done.metrics["drawings"]
    print(f"[{base}] held-out drawings ({d['held_out']} of {d['participants_held_out']} participants): "
          f"{100 * s['old_held_out']:.2f}% -> {100 * s['new_held_out']:.2f}%; MNIST test ({len(split.y_test)}): "
          f"{100 * s['old_test']:.2f}% -> {100 * s['new_test']:.2f}%")  # fmt: skip
    print(f"[{base}] trained on {d['count']} drawings of {d['participants_trained']} participants x{d['repeat']} + {rows} MNIST digits; "
          f"training loop {done.metrics['train_seconds']:.1f} s, queued to finished {wall:.1f} s (limit {max_train_seconds():.0f} s)")  # fmt: skip


def cmd_retrain(args) -> None:
    import torch

    from mnist_core import data
    from mnist_core.data import Split

    torch.set_num_threads(2)
    full = data.seed_split(data.load_mnist())
    n = args.participants * args.each
    x, y, who = room_stand_in(full, args.participants, args.each)
    split = Split(full.x_train, full.y_train, full.x_test[:-n], full.y_test[:-n])  # the drawn digits' originals are not scored
    for base in args.base:
        with tempfile.TemporaryDirectory() as folder:
            location = str(Path(folder) / "room.sqlite3")
            fill_room(location, x, y, who)
            retrain(base, location, split)


def latency(runs: list[float]) -> str:
    if len(runs) < 2:
        return "no strokes"
    ordered = sorted(runs)
    return f"median {statistics.median(ordered):.3f} s, p95 {ordered[int(0.95 * (len(ordered) - 1))]:.3f} s ({len(ordered)} strokes)"


def one_training(queue, live: bool, pages: list) -> tuple[float, list[float]]:
    """The tutorial's training queued with the live view on or off; the drawers draw a "1" and clear
    it, round after round, while it runs. (training loop seconds, the drawings' answer seconds)."""
    from bench.bench_room import answer, start_drawing
    from mnist_app.settings import TUTORIAL_MODEL, TUTORIAL_TRAIN

    job = queue.submit(TUTORIAL_MODEL, TUTORIAL_TRAIN, owner="b" * 32, nick="BENCH", estimate=10.0, extra={"live": live})
    answers: list[float] = []
    while (done := queue.get(job.id)).running:
        if done.status != "training" or not pages:
            time.sleep(0.2)
            continue
        for page in pages:
            start_drawing(page, 0)
        answers += [answer(page)["seconds"] for page in pages]
        for page in pages:
            page.get_by_role("button", name="Clear").click()
    assert done.status == "finished", done.error
    return float(done.metrics["train_seconds"]), answers


def cmd_live(args) -> None:
    from bench.browser import chromium, open_section, settle, streamlit_server
    from mnist_app.room import open_store
    from mnist_app.room.queue import JobQueue

    folder = Path(tempfile.mkdtemp(prefix="bench_retrain-"))
    seconds: dict[bool, list[float]] = {True: [], False: []}
    strokes: dict[bool, list[float]] = {True: [], False: []}
    with streamlit_server(folder / "server.log", MNIST_PRESENTER_KEY="bench-key") as url, chromium() as browser:
        store = open_store(str(folder / "room.sqlite3"))
        queue = JobQueue(store)
        board = browser.new_page(viewport={"width": 1280, "height": 720})
        board.goto(f"{url}/?lang=en&section=board&key=bench-key")  # the presenter's live view, polling
        pages = [browser.new_context(viewport={"width": 1280, "height": 720}).new_page() for _ in range(args.drawers)]
        for page in [board, *pages]:
            page.set_default_timeout(120_000)
        settle(board)
        for page in pages:  # a page follows the presenter to the Board; its own click on Draw stops that
            page.goto(f"{url}/?lang=en")
            page.get_by_text("You have no run on the board yet").wait_for()
            open_section(page, "Draw")
            page.locator("canvas.upper-canvas").first.wait_for()
            settle(page)
        one_training(queue, True, [])  # warm-up: the worker loads the data
        for i in range(2 * args.repeats):
            live = i % 2 == 0
            took, answers = one_training(queue, live, pages)
            seconds[live].append(took)
            strokes[live] += answers
        store.close()
    for live in (False, True):
        runs = ", ".join(f"{s:.2f}" for s in seconds[live])
        print(f"live view {'on ' if live else 'off'}: training loop median {statistics.median(seconds[live]):.2f} s ({runs}); "
              f"drawing latency {latency(strokes[live])}")  # fmt: skip
    print(f"slowdown with snapshots: {statistics.median(seconds[True]) / statistics.median(seconds[False]) - 1:+.1%}")


def cmd_slowdown(args) -> None:
    """The worker's own training function in this process, the tutorial's 3 epochs, in pairs (live on,
    off; the order alternates), and the seconds the snapshots themselves took."""
    import torch

    from mnist_app import worker
    from mnist_app.room import open_store
    from mnist_app.room.queue import JobQueue
    from mnist_app.settings import TUTORIAL_MODEL, TUTORIAL_TRAIN
    from mnist_core import data

    torch.set_num_threads(2)
    split = data.seed_split(data.load_mnist())
    folder = Path(tempfile.mkdtemp(prefix="bench_retrain-"))
    store = open_store(str(folder / "room.sqlite3"))
    queue, ratios, own = JobQueue(store), [], []
    for i in range(args.pairs + 1):
        took = {}
        for live in ((True, False) if i % 2 else (False, True)):
            job = queue.submit(TUTORIAL_MODEL, TUTORIAL_TRAIN, owner="b" * 32, nick="BENCH", estimate=1.0, extra={"live": live})
            training = worker.Training(queue, queue.claim("bench"), "bench")
            worker.train(training, split)
            took[live] = queue.get(job.id).metrics["train_seconds"]
            if live:
                own.append(training.recorder.seconds / took[live])
        if i:  # the first pair warms up
            ratios.append(took[True] / took[False])
            print(f"pair {i}: on {took[True]:.2f} s, off {took[False]:.2f} s, ratio {ratios[-1]:.3f}; snapshots {100 * own[-1]:.1f}% of the loop", flush=True)
    store.close()
    print(f"median ratio on/off {statistics.median(ratios):.3f}; snapshots' own share of the loop median {100 * statistics.median(own[1:]):.1f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="part", required=True)
    r = sub.add_parser("retrain")
    r.add_argument("--participants", type=int, default=24)
    r.add_argument("--each", type=int, default=15, help="drawings per participant")
    r.add_argument("--base", nargs="+", default=["tutorial", "best_mlp"])
    r.set_defaults(func=cmd_retrain)
    v = sub.add_parser("live")
    v.add_argument("--drawers", type=int, default=4, help="Chromium pages drawing (each is a browser on these 2 cores)")
    v.add_argument("--repeats", type=int, default=3)
    v.set_defaults(func=cmd_live)
    w = sub.add_parser("slowdown")
    w.add_argument("--pairs", type=int, default=5)
    w.set_defaults(func=cmd_slowdown)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
