"""A training worker: takes trainings from the room's queue, one at a time, and writes back their
progress, curves and trained model.

`streamlit run app.py` starts MNIST_WORKERS of these beside itself (default 1), so a single server
needs nothing more; more run on this machine or any other with `python -m mnist_app.worker [--db URL]`
on the same database (MNIST_ROOM_DB). Trainings never run in the web server's process: there they
shared the GIL with every session's script run and needed OpenMP's passive wait policy, which made
the tutorial's 3 epochs about 3x slower than the command line's. Here they train as the command line
does (OpenMP's default policy, torch's own thread count unless MNIST_APP_TRAIN_THREADS says otherwise).

A heartbeat thread tells the database the worker lives every BEAT_S seconds and reads whether the
running job was asked to stop; the training loop only polls an Event. No streamlit here.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time

from mnist_core.data import DataError

from .room.queue import DATA_ERROR, Job, JobQueue
from .room.records import RoomError
from .room.store import RoomStore, open_store
from .settings import ABANDON_S, train_threads

logger = logging.getLogger("mnist_app.worker")
BEAT_S = 1.0  # a heartbeat (and a look for Stop) this often: the queue calls a worker lost after STALE_S
PROGRESS_S = 0.25  # progress written at most this often: the pages redraw once a second
POLL_S = 0.5  # an idle worker looks for a waiting job this often
# A worker an app server started shares its cores: at a lower priority it trains on what the pages
# leave, so a training does not slow the room's drawing (bench/bench_worker.py measures both).
LOCAL_NICE = 10


class Training:
    """One claimed job while it trains: the callbacks `run_training` reports through."""

    def __init__(self, queue: JobQueue, job: Job, worker: str):
        self.queue, self.job, self.worker = queue, job, worker
        self.stop = threading.Event()
        self.points: list[dict] = []
        self.written = 0.0
        self.recorder = None  # the live view's snapshots (mnist_app.room.snapshots.Recorder), if on

    def stage(self, name: str, before) -> None:
        matrix = None if before is None else [list(row) for row in before.confusion]
        self.queue.progress(self.job.id, self.worker, status=name, before=matrix)

    def watch(self, model) -> None:
        """run_training's `on_model`: the live view's first snapshot (the untrained network)."""
        try:
            self.recorder.attach(model)
        except RoomError as e:
            logger.warning("snapshot: %s", e.detail or e.code)

    def report(self, p) -> None:
        self.points.append({"epoch": p.epoch - 1 + p.batch / p.batches, "loss": p.loss, "accuracy": p.accuracy})
        if time.monotonic() - self.written >= PROGRESS_S or p.fraction >= 1.0:
            self.written = time.monotonic()
            self.queue.progress(self.job.id, self.worker, fraction=p.fraction, points=list(self.points))
        if self.recorder is not None:
            try:
                self.recorder.report(p.epoch, p.batch, p.fraction >= 1.0)
            except RoomError as e:  # the live view misses a frame; the training goes on
                logger.warning("snapshot: %s", e.detail or e.code)


def train(training: Training, split) -> None:
    """Run the job to its end and write the outcome: finished with the model, stopped, or failed."""
    import torch

    from mnist_core.checkpoints import checkpoint_bytes
    from mnist_core.model import default_device
    from mnist_core.run import run_training

    job, queue, worker = training.job, training.queue, training.worker
    torch.set_num_threads(train_threads(torch.get_num_threads()))
    if job.kind == "retrain":
        from .retrain import run_retrain

        return run_retrain(training, split)
    batches = math.ceil(len(split.x_train) / job.train_config.batch_size)
    if job.spec.get("live", True):
        from .room.snapshots import Recorder, Snapshots

        training.recorder = Recorder(Snapshots(queue.store), job.id, split.x_test, split.y_test, batches)
    result = run_training(
        job.model_config, job.train_config, split, device=default_device(), on_stage=training.stage,
        on_progress=training.report, should_stop=training.stop.is_set, report_every=max(1, batches // 25),
        on_model=training.watch if training.recorder else None,
    )  # fmt: skip
    if result.stopped:
        queue.finish(job.id, worker, status="stopped")
        return
    metrics = result.metrics()
    payload = checkpoint_bytes(result.model.cpu(), model_config=job.model_config, train_config=job.train_config,
                               metrics=metrics, command="streamlit run app.py (trained in the browser)", owner=job.nick)  # fmt: skip
    queue.finish(job.id, worker, status="finished", metrics=metrics, payload=payload)


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())[:300] or type(error).__name__


class Heart(threading.Thread):
    """Beats for the worker and its running job; sets the job's stop flag when the room asks."""

    def __init__(self, queue: JobQueue, worker: str, halt: threading.Event):
        super().__init__(name="worker-heart", daemon=True)
        self.queue, self.worker, self.halt = queue, worker, halt
        self.training: Training | None = None
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(BEAT_S):
            training = self.training
            if training and self.halt.is_set():
                training.stop.set()
            try:
                if self.queue.beat(self.worker, training and training.job.id, ABANDON_S) and training:
                    training.stop.set()
                self.queue.reap()
            except RoomError as e:  # the database is away: the training goes on, the page says so
                logger.warning("heartbeat: %s", e.detail or e.code)


def load_split():
    from mnist_core import data

    return data.seed_split(data.load_mnist())


def serve(store: RoomStore, stop: threading.Event, *, halt: threading.Event | None = None,
          worker: str | None = None, load=load_split) -> None:  # fmt: skip
    """Take and train jobs until `stop` is set; a running training is finished first, unless `halt`
    is set too (then it is stopped within BEAT_S)."""
    worker = worker or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
    queue, heart, split = JobQueue(store), Heart(JobQueue(store), worker, halt or threading.Event()), None
    heart.start()
    logger.info("worker %s taking trainings from %s", worker, store.where)
    while not stop.is_set():
        try:
            job = queue.claim(worker)
        except RoomError as e:
            logger.warning("queue unavailable: %s", e.detail or e.code)
            stop.wait(4 * POLL_S)
            continue
        if job is None:
            stop.wait(POLL_S)
            continue
        training = heart.training = Training(queue, job, worker)
        try:
            split = split if split is not None else load()
            train(training, split)
        except (DataError, OSError) as e:  # no data on this worker: the page says why, in its words
            logger.warning("training %s: no data: %s", job.id, e)
            _finish_failed(queue, job, worker, f"{DATA_ERROR}{getattr(e, 'code', 'unreadable')}")
        except Exception as e:  # a failed training is the job's outcome, never the worker's end
            logger.exception("training %s failed", job.id)
            _finish_failed(queue, job, worker, _one_line(e))
        finally:
            heart.training = None
    heart.done.set()
    _leave(queue, worker)


def _finish_failed(queue: JobQueue, job: Job, worker: str, error: str) -> None:
    try:
        queue.finish(job.id, worker, status="failed", error=error)
    except RoomError:  # the job will be reaped as lost
        pass


def _leave(queue: JobQueue, worker: str) -> None:
    try:
        queue.leave(worker)
    except RoomError:
        pass


def _watch_parent(parent: int, stop: threading.Event) -> None:
    """A worker started by an app server ends with it (after the training in hand: its owner may be
    on another server)."""
    while not stop.wait(1.0):
        if os.getppid() != parent:
            logger.info("app server %d gone: stopping after the current training", parent)
            stop.set()


def spawn(n: int) -> list[subprocess.Popen]:
    """Start `n` workers beside this app server, on its database; they end with it."""
    # The web server sets OpenMP's passive wait policy for its own inference; a worker trains as the
    # command line does, with OpenMP's default (the passive policy slowed a training 1.5-2x here).
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    command = [sys.executable, "-m", "mnist_app.worker", "--parent", str(os.getpid())]
    return [subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL) for _ in range(n)]


def end(processes: list[subprocess.Popen], wait_s: float = 5.0) -> None:
    """SIGTERM, then SIGKILL after `wait_s`: a worker in a training finishes it only if it is quick."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(wait_s)
        except subprocess.TimeoutExpired:
            process.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mnist_app.worker", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="the room's database: a SQLAlchemy URL or a SQLite path (default: $MNIST_ROOM_DB)")
    parser.add_argument("--parent", type=int, help=argparse.SUPPRESS)  # the app server that started it
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        store = open_store(args.db)
    except RoomError as e:
        print(f"error: the room's database: {e.detail or e.code}", file=sys.stderr)
        return 2
    stop, halt = threading.Event(), threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):  # asked to end: the training in hand is stopped, then the worker ends
        signal.signal(sig, lambda *_: (halt.set(), stop.set()))
    if args.parent:  # beside an app server, on its cores: the pages' script runs come first
        os.nice(LOCAL_NICE)
        threading.Thread(target=_watch_parent, args=(args.parent, stop), daemon=True).start()
    serve(store, stop, halt=halt)
    return 0


if __name__ == "__main__":
    sys.exit(main())
