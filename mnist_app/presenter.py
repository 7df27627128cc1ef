"""The presenter: one key unlocks every presenter-only action, and one check guards each of them.

How a session gives the key and keeps its rights across a reload is presenter_access.py. Without the
key the actions are not shown, and `allowed()` refuses them if a session forges the widget or calls
them anyway. With no key set on the server nobody has them.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from . import state
from .settings import presenter_key
from .state import Key

logger = logging.getLogger(__name__)


def allowed() -> bool:
    """Only inside a session that gave the key; outside any session (a forged call) never."""
    try:
        return bool(presenter_key()) and bool(state.get(Key.IS_PRESENTER))
    except KeyError:
        return False


class Refused(PermissionError):
    """A presenter-only action asked for without the key."""


def _check() -> None:
    if not allowed():
        raise Refused


def stop_training(job_id: str) -> None:
    """Stop anyone's training (its worker stops at its next heartbeat)."""
    _check()
    from .resources import room_queue

    room_queue().request_stop(job_id, owner=None)


def clear_queue() -> int:
    """End every waiting training (not the running ones); how many were ended."""
    _check()
    from .resources import room_queue

    return room_queue().stop_waiting()


def delete_saved(name: str) -> None:
    """Delete any model saved in the room (files, the shipped ones among them, are never deleted here)."""
    _check()
    from .catalogue import delete_saved

    delete_saved(name, owner=None)


def set_default(name: str) -> None:
    """The model new sessions start on, on every app server of the room."""
    _check()
    from .catalogue import shelf_rows
    from .resources import room_shelf

    room_shelf().set_default(name)
    shelf_rows.clear()


def hide_drawing(store, drawing_id: int) -> bool:
    """Take one drawing off the walls (it is on a projector); False if there is no such drawing."""
    _check()
    return store.hide(drawing_id)


def hide_participant(store, session_id: str) -> int:
    """Take every drawing of one participant (their token) off the walls, counts and scores; how many."""
    _check()
    from .room.participants import Participants

    return Participants(store).hide(session_id)


def clear_room(store) -> int:
    _check()
    return store.clear()


def export_room(store) -> bytes:
    """The room's visible drawings as an NPZ file for `python -m mnist_core evaluate --drawings FILE`."""
    _check()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "room.npz"
        store.export_npz(path)
        return path.read_bytes()


# ------------------------------------------------------------------ the board and retraining (issue 22)


def hide_run(job_id: str) -> bool:
    """Take one run off the room's board; False if it is not on it."""
    _check()
    from .resources import room_store
    from .room.board import Board

    return Board(room_store()).hide(job_id)


def clear_board() -> int:
    """Take every run off the room's board (the trainings and their models stay); how many."""
    _check()
    from .resources import room_store
    from .room.board import Board

    return Board(room_store()).clear()


def retrain(base: str):
    """Queue a retraining of `base` on the room's drawings (mnist_app.retrain); the job. ValueError
    (retrain.TOO_FEW) with fewer than two participants' drawings, TooLong when even the smallest
    fine-tuning would not fit the server's limit."""
    _check()
    from mnist_core.estimate import training_seconds

    from .resources import room_queue, room_store
    from .retrain import FINE_TUNE, TOO_FEW, base_checkpoint, plan, room_drawings, spec
    from .settings import max_train_seconds
    from .training import TooLong

    _, y, who = room_drawings(room_store())
    if len(set(who)) < 2:
        raise ValueError(TOO_FEW)
    config = base_checkpoint(room_store(), base).model_config
    rows = plan(config, len(y), max_train_seconds())
    if rows is None:
        raise TooLong(max_train_seconds())
    return room_queue().submit(config, FINE_TUNE, owner=state.get(Key.TOKEN), nick=state.get(Key.NICK),
                               estimate=training_seconds(config, FINE_TUNE, n_train=rows), extra=spec(base, rows))  # fmt: skip


def adopt_retrained(job_id: str, name: str) -> None:
    """Save a finished retraining's model in the room as `name` and make it the room's default.
    ValueError for a job that is not a finished retraining or a bad name; RoomError (name_taken, ...)."""
    _check()
    from .catalogue import shelf_rows
    from .resources import room_queue, room_shelf

    job = room_queue().get(job_id)
    payload = room_queue().payload(job_id) if job is not None and job.kind == "retrain" and job.status == "finished" else None
    if payload is None:
        raise ValueError(f"{job_id} is not a finished retraining")
    room_shelf().save(name, payload, owner=state.get(Key.TOKEN), nick=state.get(Key.NICK), accuracy=job.metrics["accuracy"])
    room_shelf().set_default(name)
    shelf_rows.clear()


# ------------------------------------------------------------------ leading the room (issue 21)


def publish_position(position):
    """Tell the room where the presenter is (mnist_app.follow): followers' pages move there."""
    _check()
    from .resources import room_store
    from .room.presence import Presenter

    return Presenter(room_store()).publish(position)


def open_question(kind: str, spec: dict, *, picture: bytes | None = None, truth: dict | None = None):
    """Put a question to the room (room.questions); it is on every page until ended."""
    _check()
    from .resources import room_store
    from .room.presence import Presenter
    from .room.questions import Questions

    question = Questions(room_store()).open(kind, spec, picture=picture, truth=truth)
    Presenter(room_store()).publish(question=question.id, question_status=question.status)
    return question


def set_question(question_id: str, status: str, truth: dict | None = None) -> bool:
    """Close, reveal (with the truth when it is known only now) or end the question."""
    _check()
    from .resources import room_store
    from .room.presence import Presenter
    from .room.questions import ENDED, Questions

    done = Questions(room_store()).set_status(question_id, status, truth)
    if done:
        on_screen = status != ENDED
        Presenter(room_store()).publish(question=question_id if on_screen else None, question_status=status if on_screen else None)
    return done


def submit_settings(settings: list[dict]) -> list[str]:
    """The trainings of a "which setting trains best?" question, in the room's queue as the presenter's."""
    _check()
    from mnist_core.config import ModelConfig, TrainConfig
    from mnist_core.estimate import training_seconds

    from .resources import room_queue

    ids = []
    for s in settings:
        model_config = ModelConfig(hidden=tuple(s["hidden"]))
        train_config = TrainConfig(epochs=s["epochs"], lr=s["lr"], batch_size=s["batch_size"], seed=0)
        job = room_queue().submit(model_config, train_config, owner=state.get(Key.TOKEN), nick=state.get(Key.NICK),
                                  estimate=training_seconds(model_config, train_config), extra={"live": False})  # fmt: skip
        ids.append(job.id)
    return ids
