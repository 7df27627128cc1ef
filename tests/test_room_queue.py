"""The room's training queue, its workers and its shelf of saved models, on SQLite and PostgreSQL:
first come first served across app servers, Stop, a lost worker, ownership by token. No streamlit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from bench.prerequisites import need
from conftest import REPO, training_worker
from mnist_app import worker
from mnist_app.room import RoomError, open_store
from mnist_app.room import queue as rq
from mnist_app.room.schema import jobs
from mnist_app.room.shelf import NAME_TAKEN, NOT_YOURS, Shelf
from mnist_core.config import ModelConfig, TrainConfig
from test_core_run import tiny_split

ALICE, BOB = "a" * 32, "b" * 32  # participants' tokens


@pytest.fixture
def store(location):
    room = open_store(location, timeout_s=5.0)
    yield room
    room.close()


def running_worker(location: str, name: str = "w1"):
    """A worker on its own store, as another process or machine would have, on the tiny split."""
    return training_worker(location, worker=name, load=tiny_split)


def submit(queue: rq.JobQueue, owner: str = ALICE, epochs: int = 1, nick: str = "K3F") -> rq.Job:
    return queue.submit(ModelConfig(hidden=(16,)), TrainConfig(epochs=epochs, batch_size=16), owner=owner, nick=nick, estimate=2.0)


def wait_done(queue: rq.JobQueue, job: rq.Job, timeout: float = 60) -> rq.Job:
    deadline = time.monotonic() + timeout
    while (job := queue.get(job.id)).running:
        assert time.monotonic() < deadline, job.status
        time.sleep(0.05)
    return job


def wait_status(queue: rq.JobQueue, job: rq.Job, statuses: tuple[str, ...], timeout: float = 30) -> rq.Job:
    deadline = time.monotonic() + timeout
    while (job := queue.get(job.id)).status not in statuses:
        assert time.monotonic() < deadline, job.status
        time.sleep(0.05)
    return job


def test_a_job_runs_to_the_end_and_keeps_its_model(store, location):
    from mnist_core.checkpoints import load_checkpoint_bytes

    queue = rq.JobQueue(store)
    with running_worker(location):
        job = wait_done(queue, submit(queue, epochs=2))
    assert job.status == "finished" and job.fraction == 1.0 and job.points[-1]["epoch"] == 2
    assert job.after.accuracy > job.before.accuracy + 0.3 and job.metrics["accuracy"] == job.after.accuracy
    trained = load_checkpoint_bytes(queue.payload(job.id), "trained")
    assert trained.model_config.hidden == (16,) and trained.metrics["correct"] == job.metrics["correct"]


def test_first_come_first_served_across_two_servers_one_at_a_time(location):
    server_a, server_b = open_store(location), open_store(location)
    qa, qb = rq.JobQueue(server_a), rq.JobQueue(server_b)
    submitted = [submit(qa, epochs=2), submit(qb, owner=BOB), submit(qa), submit(qb, owner=BOB)]
    assert [j.id for j in qb.line()] == [j.id for j in submitted] and qa.line() == qb.line()  # one queue
    with running_worker(location):
        finished, deadline = [], time.monotonic() + 120
        while len(finished) < len(submitted):
            assert time.monotonic() < deadline
            line = qa.line()
            assert sum(j.status in rq.RUNNING for j in line) <= 1  # one worker: one training at a time
            finished += [j.id for j in submitted if j.id not in finished and qa.get(j.id).status == "finished"]
            time.sleep(0.01)
    assert finished == [j.id for j in submitted] and qa.line() == []
    server_a.close(), server_b.close()


def test_two_workers_never_take_the_same_job(location):
    store = open_store(location)
    queue = rq.JobQueue(store)
    ids = [submit(queue).id for _ in range(6)]
    with ThreadPoolExecutor(4) as pool:
        claims = list(pool.map(lambda i: rq.JobQueue(store).claim(f"w{i % 2}"), range(8)))
    taken = [c.id for c in claims if c is not None]
    assert sorted(taken) == sorted(ids) and len(set(taken)) == len(taken)
    store.close()


def test_stop_while_waiting_never_trains_and_stop_while_running_keeps_nothing(store, location):
    queue = rq.JobQueue(store)
    waiting = submit(queue)
    assert queue.request_stop(waiting.id, owner=BOB) is False  # not Bob's
    assert queue.request_stop(waiting.id, owner=ALICE) and queue.get(waiting.id).status == "stopped"
    with running_worker(location):
        running = wait_status(queue, submit(queue, epochs=5000), ("training",))
        queue.request_stop(running.id, owner=ALICE)
        stopped = wait_done(queue, running, timeout=10)
    assert stopped.status == "stopped" and stopped.metrics is None and queue.payload(stopped.id) is None
    assert queue.get(waiting.id).before is None  # never trained


def test_the_presenter_clears_the_waiting_ones_only(store):
    queue = rq.JobQueue(store)
    first, _, third = submit(queue), submit(queue, owner=BOB), submit(queue, owner=BOB)
    assert queue.claim("w") == queue.get(first.id)
    assert queue.stop_waiting() == 2
    assert [j.id for j in queue.line()] == [first.id] and queue.get(third.id).status == "stopped"


def test_a_job_nobody_looks_at_is_stopped(store, location, monkeypatch):
    monkeypatch.setattr(worker, "ABANDON_S", 0.5)  # the page stopped looking long ago
    queue = rq.JobQueue(store)
    with running_worker(location):
        job = wait_done(queue, submit(queue, epochs=5000), timeout=20)
    assert job.status == "stopped"


def test_a_failure_is_one_line_and_the_queue_moves_on(store, location, monkeypatch):
    import mnist_core.run as mrun

    real, calls = mrun.train, []

    def broken_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("out of memory\n  at layer 2")
        return real(*args, **kwargs)

    monkeypatch.setattr(mrun, "train", broken_once)
    queue = rq.JobQueue(store)
    first, second = submit(queue), submit(queue, owner=BOB)
    with running_worker(location):
        first, second = wait_done(queue, first), wait_done(queue, second)
    assert (first.status, first.error) == ("failed", "out of memory at layer 2")
    assert second.status == "finished"


def test_a_lost_workers_job_fails_and_another_worker_takes_the_next(store, location, monkeypatch):
    monkeypatch.setattr(rq, "STALE_S", 1.0)
    queue = rq.JobQueue(store)
    lost, next_one = submit(queue), submit(queue, owner=BOB)
    assert queue.claim("dead-worker").id == lost.id  # then it never beats again
    with running_worker(location):
        next_one = wait_done(queue, next_one)  # a lost job blocks nobody
        lost = wait_status(queue, lost, ("failed",), timeout=5)  # the live worker's heartbeat reaps it
    assert lost.error == rq.WORKER_LOST and next_one.status == "finished"


def test_time_left_starts_from_the_estimate_and_follows_the_pace(store):
    queue = rq.JobQueue(store)
    job = submit(queue)
    assert job.seconds_left() == job.estimate == 2.0
    with store._connect(write=True) as conn:  # half done, 30 s after it started
        started = job.created - timedelta(seconds=30)
        conn.execute(sa.update(jobs).where(jobs.c.id == job.id).values(started=started.replace(tzinfo=None), fraction=0.5))
    assert queue.get(job.id).seconds_left(now=job.created) == pytest.approx(30, rel=0.01)


def test_a_forged_nickname_cannot_delete_anothers_model(store):
    shelf = Shelf(store)
    shelf.save("alice model", b"weights", owner=ALICE, nick="K3F", accuracy=0.9)
    with pytest.raises(RoomError) as caught:
        shelf.delete("alice model", owner=BOB)  # Bob shows the same nickname: it is for show only
    assert caught.value.code == NOT_YOURS and [m.name for m in shelf.list()] == ["alice model"]
    shelf.delete("alice model", owner=ALICE)
    assert shelf.list() == []


def test_two_servers_saving_one_name_one_wins_the_other_is_told(location):
    servers = [Shelf(open_store(location, timeout_s=30.0)) for _ in range(2)]  # a loaded machine is not the point
    barrier = threading.Barrier(2)

    def save(i: int) -> str:
        barrier.wait()
        try:
            servers[i].save("우리 모델", f"bytes of {i}".encode(), owner=(ALICE, BOB)[i], nick="X", accuracy=0.5)
            return "saved"
        except RoomError as e:
            return e.code

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(save, range(2)))
    assert outcomes == [NAME_TAKEN, "saved"]
    (saved,) = servers[0].list()
    assert servers[0].payload("우리 모델") == f"bytes of {(ALICE, BOB).index(saved.owner)}".encode()  # never replaced
    for shelf in servers:
        shelf.store.close()


def test_the_default_is_the_rooms_and_a_deleted_model_stops_being_it(store, location):
    shelf = Shelf(store)
    assert shelf.default() is None
    shelf.save("m", b"x", owner=ALICE, nick="K3F", accuracy=0.5)
    shelf.set_default("m")
    other_server = open_store(location)
    assert Shelf(other_server).default() == "m"
    other_server.close()
    shelf.delete("m", owner=None)  # the presenter
    assert shelf.default() is None


def test_an_older_room_gains_the_new_tables_and_keeps_its_drawings(tmp_path):
    from helpers_room import entry
    from mnist_app.room import schema

    path = tmp_path / "room.sqlite3"
    store = open_store(str(path))
    store.add(**entry(ALICE, 3, 3))
    with store._connect(write=True) as conn:  # as version 1 left it: drawings only
        for table in (schema.jobs, schema.models, schema.settings, schema.workers):
            table.drop(conn)
        conn.execute(sa.update(schema.meta).values(value="1"))
    store.close()
    again = open_store(str(path))
    assert again.counts()[3] == 1 and rq.JobQueue(again).line() == [] and Shelf(again).list() == []
    with again._connect(write=False) as conn:
        assert conn.execute(sa.select(schema.meta.c.value)).scalar() == str(schema.SCHEMA_VERSION)
    again.close()


@pytest.mark.realdata
@pytest.mark.slow
def test_kill_9_of_a_worker_process_fails_its_job_within_seconds_and_a_new_worker_goes_on(tmp_path):
    need(bool(os.environ.get("MNIST_DATA_DIR")), "MNIST_DATA_DIR is not set: the worker process reads the real data")
    room = str(tmp_path / "room.sqlite3")
    queue = rq.JobQueue(open_store(room))
    command = [sys.executable, "-m", "mnist_app.worker", "--db", room]
    first = subprocess.Popen(command, cwd=REPO, stderr=subprocess.DEVNULL)
    try:
        job = wait_status(queue, submit(queue, epochs=50), ("training",), timeout=90)
        nxt = submit(queue, owner=BOB)
        first.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        while True:
            queue.line()  # a page's look at the queue reaps a lost worker's job
            if (lost := queue.get(job.id)).status == "failed":
                break
            assert time.monotonic() - killed < 12, lost.status
            time.sleep(0.2)
        assert lost.error == rq.WORKER_LOST and queue.get(nxt.id).status == "queued"
        second = subprocess.Popen(command, cwd=REPO, stderr=subprocess.DEVNULL)
        try:
            assert wait_done(queue, nxt, timeout=120).status == "finished"
        finally:
            second.terminate(), second.wait(10)
    finally:
        first.kill(), first.wait(10)


@pytest.mark.parametrize("threads", ["1", "3"])
def test_the_thread_count_setting(monkeypatch, threads):
    from mnist_app.settings import train_threads

    monkeypatch.setenv("MNIST_APP_TRAIN_THREADS", threads)
    assert train_threads(2) == int(threads)
    monkeypatch.delenv("MNIST_APP_TRAIN_THREADS")
    assert train_threads(2) == 2
