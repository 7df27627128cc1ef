"""The room's training queue: every training anyone asks for, in the database, for workers to take.

Pages put jobs in (`submit`), read them (`line`, `get`) and ask them to stop; worker processes
(mnist_app.worker) `claim` the oldest waiting job, report progress and a heartbeat, and write the
result. All of it is rows of `room_jobs`, so every app server on the database shows the same queue,
and trainings are first come, first served across all of them.

A claim is a compare-and-set (`UPDATE ... WHERE id = :oldest AND status = 'queued'`): on SQLite the
write lock serializes it, on PostgreSQL the second of two racing workers finds the row no longer
queued and tries the next. No job-queue library: the queue is a few jobs a minute, and the rows must
carry progress, curves, Stop and results for the pages anyway, on SQLite and PostgreSQL alike
(huey's SQL storage or procrastinate would each cover only part of that, or one database).
A worker that dies (kill -9, a lost machine) stops beating; any worker or page that looks after
STALE_S marks its job failed, so the queue moves on.
No streamlit here.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from mnist_core.config import ModelConfig, TrainConfig
from mnist_core.evaluation import Evaluation

from .schema import jobs, workers
from .store import RoomStore, _utcnow

WAITING = "queued"
RUNNING = ("untrained", "training", "testing")
ACTIVE = (WAITING, *RUNNING)
STALE_S = 8.0  # a running job whose worker has not beaten for this long is lost (workers beat every second)
WORKER_LOST = "worker_lost"  # the error of a job whose worker vanished
DATA_ERROR = "data:"  # the error of a job whose worker has no data, followed by mnist_core.data.DataError's code


def _config(cls, values: dict):
    known = {f.name for f in fields(cls)}
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items() if k in known})


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Job:
    """One training as its row says now (a snapshot: read it again to see it move)."""

    id: str
    seq: int
    created: datetime
    owner: str  # the participant's token
    nick: str
    model_config: ModelConfig
    train_config: TrainConfig
    estimate: float  # seconds on an idle server (mnist_core.estimate)
    status: str  # WAITING, one of RUNNING, then finished, stopped or failed
    stop: bool
    started: datetime | None
    fraction: float
    points: tuple[dict, ...]  # {"epoch" (fractional), "loss", "accuracy"}
    before: Evaluation | None
    metrics: dict | None  # a finished run's (mnist_core.run.RunResult.metrics)
    error: str | None
    spec: dict = field(default_factory=dict, repr=False)  # the row's whole spec: "kind" ("train", "retrain"), "live", ...

    @property
    def kind(self) -> str:
        return self.spec.get("kind", "train")

    @classmethod
    def from_row(cls, r) -> Job:
        spec = r.spec or {}
        before = Evaluation(tuple(tuple(row) for row in r.before)) if r.before else None
        return cls(r.id, r.seq, _aware(r.created), r.owner, r.nick, _config(ModelConfig, spec.get("model", {})),
                   _config(TrainConfig, spec.get("train", {})), float(r.estimate), r.status, bool(r.stop),
                   _aware(r.started), float(r.fraction or 0.0), tuple(r.points or ()), before, r.metrics, r.error, dict(spec))  # fmt: skip

    @property
    def running(self) -> bool:
        return self.status in ACTIVE

    @property
    def epoch(self) -> int:
        return math.ceil(self.points[-1]["epoch"]) if self.points else 1

    @property
    def after(self) -> Evaluation | None:
        confusion = (self.metrics or {}).get("confusion")
        return Evaluation(tuple(tuple(row) for row in confusion)) if confusion else None

    def seconds_left(self, now: datetime | None = None) -> float:
        """The estimate until a tenth of the training is done, then the pace measured so far."""
        if self.started is None:
            return self.estimate
        elapsed = ((now or datetime.now(timezone.utc)) - self.started).total_seconds()
        if self.fraction < 0.1:
            return max(0.0, self.estimate - elapsed)
        return elapsed * (1 - self.fraction) / self.fraction


_COLUMNS = [c for c in jobs.c if c.name != "payload"]


class JobQueue:
    """The training queue in the room's database. Thread-safe; every method may raise RoomError."""

    def __init__(self, store: RoomStore):
        self.store = store

    # ----------------------------------------------------------------------------------- the pages

    def submit(self, model_config: ModelConfig, train_config: TrainConfig, *, owner: str, nick: str, estimate: float,
               extra: dict | None = None) -> Job:  # fmt: skip
        """`extra` joins the spec: {"kind": "retrain", ...} (mnist_app.retrain), {"live": False} (no snapshots)."""
        now, spec = _utcnow(), {"model": asdict(model_config), "train": asdict(train_config)} | (extra or {})
        row = dict(id=uuid.uuid4().hex, created=now, owner=owner, nick=nick, spec=spec, estimate=float(estimate),
                   status=WAITING, stop=False, seen=now, fraction=0.0, points=[])  # fmt: skip
        with self.store._connect(write=True) as conn:
            conn.execute(sa.insert(jobs).values(**row))
        return self.get(row["id"])

    def get(self, job_id: str) -> Job | None:
        with self.store._connect(write=False) as conn:
            row = conn.execute(sa.select(*_COLUMNS).where(jobs.c.id == job_id)).first()
        return None if row is None else Job.from_row(row)

    def latest(self, owner: str) -> Job | None:
        """A participant's newest training: a page that lost its session (a server restart) finds it."""
        with self.store._connect(write=False) as conn:
            row = conn.execute(sa.select(*_COLUMNS).where(jobs.c.owner == owner).order_by(jobs.c.seq.desc()).limit(1)).first()
        return None if row is None else Job.from_row(row)

    def payload(self, job_id: str) -> bytes | None:
        """The trained model's checkpoint bytes (mnist_core.checkpoints.load_checkpoint_bytes)."""
        with self.store._connect(write=False) as conn:
            return conn.execute(sa.select(jobs.c.payload).where(jobs.c.id == job_id)).scalar()

    def line(self) -> list[Job]:
        """The trainings running, then those waiting, each in order of arrival."""
        self.reap()
        with self.store._connect(write=False) as conn:
            rows = conn.execute(sa.select(*_COLUMNS).where(jobs.c.status.in_(ACTIVE)).order_by(jobs.c.seq)).all()
        found = [Job.from_row(r) for r in rows]
        return [j for j in found if j.status != WAITING] + [j for j in found if j.status == WAITING]

    def wait_seconds(self, job: Job, line: list[Job]) -> float:
        """Estimated seconds until `job`'s turn: what is left of those ahead of it (one worker)."""
        ids = [j.id for j in line]
        return sum(j.seconds_left() for j in line[: ids.index(job.id)]) if job.id in ids else 0.0

    def seen(self, job_id: str) -> None:
        """The owner's page looked at the job: it still has an owner (an abandoned one is stopped)."""
        with self.store._connect(write=True) as conn:
            conn.execute(sa.update(jobs).where(jobs.c.id == job_id).values(seen=_utcnow()))

    def request_stop(self, job_id: str, *, owner: str | None) -> bool:
        """Stop a training: the owner's own (`owner` their token) or any (`owner=None`: the presenter).
        A waiting one ends at once; a running one at the worker's next check. False if nothing matched."""
        mine = jobs.c.id == job_id if owner is None else sa.and_(jobs.c.id == job_id, jobs.c.owner == owner)
        with self.store._connect(write=True) as conn:
            conn.execute(sa.update(jobs).where(mine, jobs.c.status == WAITING).values(status="stopped", stop=True))
            return conn.execute(sa.update(jobs).where(mine, jobs.c.status.in_(ACTIVE + ("stopped",))).values(stop=True)).rowcount > 0

    def stop_waiting(self) -> int:
        """End every waiting training (the presenter clears the queue); how many."""
        with self.store._connect(write=True) as conn:
            return conn.execute(sa.update(jobs).where(jobs.c.status == WAITING).values(status="stopped", stop=True)).rowcount

    def workers_alive(self) -> int:
        since = _utcnow() - timedelta(seconds=STALE_S)
        with self.store._connect(write=False) as conn:
            return int(conn.execute(sa.select(sa.func.count()).where(workers.c.beat > since)).scalar_one())

    # --------------------------------------------------------------------------------- the workers

    def claim(self, worker: str) -> Job | None:
        """Take the oldest waiting job for `worker` (it becomes "untrained"); None if none waits."""
        oldest = sa.select(jobs.c.id).where(jobs.c.status == WAITING).order_by(jobs.c.seq).limit(1)
        for _ in range(5):  # another worker may take the one we saw: try the next
            with self.store._connect(write=True) as conn:
                job_id = conn.execute(oldest).scalar()
                if job_id is None:
                    return None
                now = _utcnow()
                taken = sa.update(jobs).where(jobs.c.id == job_id, jobs.c.status == WAITING)
                if conn.execute(taken.values(status="untrained", worker=worker, started=now, beat=now)).rowcount:
                    break
        else:
            return None
        return self.get(job_id)

    def beat(self, worker: str, job_id: str | None, abandon_s: float = math.inf) -> bool:
        """The worker is alive (and so is its job); True if that job should stop: Stop was pressed,
        or its owner's page has not looked at it for `abandon_s` (a closed tab trains for nobody)."""
        now = _utcnow()
        with self.store._connect(write=True) as conn:
            if conn.execute(sa.update(workers).where(workers.c.id == worker).values(beat=now)).rowcount == 0:
                conn.execute(sa.insert(workers).values(id=worker, started=now, beat=now))
            if job_id is None:
                return False
            conn.execute(sa.update(jobs).where(jobs.c.id == job_id, jobs.c.worker == worker).values(beat=now))
            row = conn.execute(sa.select(jobs.c.stop, jobs.c.seen, jobs.c.status).where(jobs.c.id == job_id)).first()
        if row is None or row.stop or row.status not in RUNNING:
            return True
        return (now - row.seen).total_seconds() > abandon_s

    def progress(self, job_id: str, worker: str, **values) -> None:
        """A worker's report: status, fraction, points, before (a confusion matrix). Only a job still
        running is written: one already marked lost (its worker too slow to beat) stays lost."""
        mine = sa.and_(jobs.c.id == job_id, jobs.c.worker == worker, jobs.c.status.in_(RUNNING))
        with self.store._connect(write=True) as conn:
            conn.execute(sa.update(jobs).where(mine).values(beat=_utcnow(), **values))

    def finish(self, job_id: str, worker: str, *, status: str, metrics: dict | None = None,
               payload: bytes | None = None, error: str | None = None) -> None:  # fmt: skip
        values = dict(status=status, metrics=metrics, payload=payload, error=None if error is None else error[:300])
        self.progress(job_id, worker, **values)

    def leave(self, worker: str) -> None:
        """A worker that stops cleanly says so: the page need not wait STALE_S to know."""
        with self.store._connect(write=True) as conn:
            conn.execute(sa.delete(workers).where(workers.c.id == worker))

    def reap(self) -> int:
        """Mark running jobs whose worker stopped beating failed, and forget dead workers; how many jobs."""
        since = _utcnow() - timedelta(seconds=STALE_S)
        lost = sa.and_(jobs.c.status.in_(RUNNING), sa.or_(jobs.c.beat.is_(None), jobs.c.beat < since))
        with self.store._connect(write=False) as conn:
            if conn.execute(sa.select(sa.func.count()).where(lost)).scalar_one() == 0:
                return 0  # the common case costs one read, no write lock
        with self.store._connect(write=True) as conn:
            conn.execute(sa.delete(workers).where(workers.c.beat < since - timedelta(minutes=10)))
            return conn.execute(sa.update(jobs).where(lost).values(status="failed", error=WORKER_LOST)).rowcount
