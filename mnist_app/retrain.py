"""Retraining on the room's drawings: the presenter's job, run by a training worker from the queue.

The room's confirmed (not hidden) drawings are split by participant (mnist_core.mixing.held_out): a
third of the participants are held out and only scored. The base model (the presenter's active one,
a shipped file or a saved model) is fine-tuned for one epoch on MNIST training digits plus the
trained-on drawings, repeated until they are 5% of the rows; then the old and the new model are
scored on the held-out drawings and on the MNIST test images. Fine-tuning, not training from scratch,
is what fits the server's limit (settings.max_train_seconds): the MNIST rows are cut until the
estimate fits. The result is the job's payload (a checkpoint) and metrics["retrain"]; the presenter
may save it and make it the room's default (presenter.adopt_retrained). No streamlit here.
"""

from __future__ import annotations

import copy
import secrets

import numpy as np
import sqlalchemy as sa

from mnist_core.checkpoints import checkpoint_bytes, load_checkpoint, load_checkpoint_bytes, path_for
from mnist_core.config import ModelConfig, TrainConfig
from mnist_core.data import Split
from mnist_core.drawings import N_PIXELS
from mnist_core.estimate import training_seconds
from mnist_core.mixing import add_drawings, held_out, record, repeats, split_drawings

from .room.schema import drawings
from .room.shelf import Shelf

FINE_TUNE = TrainConfig(epochs=1, lr=3e-4, batch_size=64, seed=0, order="seeded")  # a trained net: a small step size
MIN_ROWS = 5000  # fewer MNIST digits than this and the network forgets MNIST for the room's few hundred
TOO_FEW = "retrain:too_few"  # the job's error: fewer than two participants with drawings


def plan(model_config: ModelConfig, n_drawings: int, limit_s: float, n_train: int = 60_000) -> int | None:
    """How many MNIST training digits the fine-tuning can take within `limit_s` (None: not even MIN_ROWS)."""
    rows = n_train
    while rows >= MIN_ROWS:
        extra = n_drawings * repeats(n_drawings, rows)
        if training_seconds(model_config, FINE_TUNE, n_train=rows + extra) <= limit_s:
            return rows
        rows //= 2
    return None


def spec(base: str, rows: int) -> dict:
    """The job spec's extra part; the salt fixes which participants this retraining holds out."""
    return {"kind": "retrain", "base": base, "rows": rows, "salt": secrets.token_hex(4)}


def room_drawings(store) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The room's visible drawings: x (N, 784) float32 in [0, 1], y (N,), and each one's participant token."""
    query = sa.select(drawings.c.input28, drawings.c.label, drawings.c.session_id).where(~drawings.c.hidden).order_by(drawings.c.id)
    with store._connect(write=False) as conn:
        rows = conn.execute(query).all()
    x = np.frombuffer(b"".join(r.input28 for r in rows), np.uint8).reshape(len(rows), N_PIXELS).astype(np.float32) / 255.0
    return x, np.array([r.label for r in rows], np.int64), [r.session_id for r in rows]


def base_checkpoint(store, name: str):
    """The base model: a model saved in the room, else a checkpoint file of this server's folder."""
    payload = Shelf(store).payload(name)
    return load_checkpoint_bytes(payload, name) if payload is not None else load_checkpoint(path_for(name))


def mixed_split(split: Split, job_spec: dict, x, y, who):
    """(training split, held-out x, held-out y, record, participants) for one retraining job."""
    out = held_out(who, salt=job_spec["salt"])
    (x_in, y_in), (x_out, y_out) = split_drawings(x, y, who, out)
    if not len(y_in) or not len(y_out):
        raise ValueError(TOO_FEW)
    rows = int(job_spec["rows"])
    repeat = repeats(len(y_in), rows)
    base = Split(split.x_train[:rows], split.y_train[:rows], split.x_test, split.y_test)
    counts = {"participants_trained": len(set(who) - out), "participants_held_out": len(out), "held_out": int(len(y_out))}
    return add_drawings(base, x_in, y_in, repeat), x_out, y_out, record(y_in, repeat, "room") | counts


def run_retrain(training, split: Split) -> None:
    """The worker's side of a retraining job (mnist_app.worker.train dispatches here)."""
    import torch

    from mnist_core.train import evaluate, train

    cpu = torch.device("cpu")

    job, queue = training.job, training.queue
    base = base_checkpoint(queue.store, job.spec["base"])
    try:
        mixed, x_out, y_out, drawn = mixed_split(split, job.spec, *room_drawings(queue.store))
    except ValueError:
        queue.finish(job.id, training.worker, status="failed", error=TOO_FEW)
        return
    old, model = base.model.eval(), copy.deepcopy(base.model)
    training.stage("untrained", None)
    old_test = evaluate(old, split.x_test, split.y_test, device=cpu)
    training.stage("training", old_test)
    batches = -(-len(mixed.x_train) // FINE_TUNE.batch_size)
    history = train(model, mixed.x_train, mixed.y_train, FINE_TUNE, device=cpu, on_progress=training.report,
                    should_stop=training.stop.is_set, report_every=max(1, batches // 25))  # fmt: skip
    if history.stopped:
        queue.finish(job.id, training.worker, status="stopped")
        return
    training.stage("testing", old_test)
    new_test = evaluate(model, split.x_test, split.y_test, device=cpu)
    scores = {"old_test": old_test.accuracy, "new_test": new_test.accuracy,
              "old_held_out": evaluate(old, x_out, y_out, device=cpu).accuracy,
              "new_held_out": evaluate(model, x_out, y_out, device=cpu).accuracy, "base": job.spec["base"]}  # fmt: skip
    metrics = {"accuracy": new_test.accuracy, "correct": new_test.correct, "total": new_test.total,
               "untrained_accuracy": old_test.accuracy, "untrained_correct": old_test.correct,
               "train_seconds": round(history.train_seconds, 2), "confusion": [list(r) for r in new_test.confusion],
               "per_class_correct": list(new_test.per_class_correct), "per_class_total": list(new_test.per_class_total),
               "drawings": drawn, "retrain": scores}  # fmt: skip
    payload = checkpoint_bytes(model, model_config=base.model_config, train_config=FINE_TUNE, metrics=metrics,
                               command=f"retrained on the room's drawings from {job.spec['base']}", owner=job.nick)  # fmt: skip
    queue.finish(job.id, training.worker, status="finished", metrics=metrics, payload=payload)
