"""The presenter: one key unlocks every presenter-only action, and one check guards each of them.

The key comes from MNIST_PRESENTER_KEY on the server; a session gives it once (`?key=` in the URL or
the field in the Model section). Without it the actions are not shown, and `allowed()` refuses them
if a session forges the widget or calls them anyway. With no key set on the server nobody has them.

A browser that gave the key keeps a pass for PASS_S (a workshop's day), so a reload of the projector
keeps its rights with the key neither in the address nor on screen: "<expiry>.<HMAC-SHA256>", signed
with a secret derived from the key itself (so every app server of a room accepts it, nothing new
needs configuring, and changing MNIST_PRESENTER_KEY ends every pass). components/identity.py keeps
it in the browser's localStorage beside the participant's token; a pass does not contain the key.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import hmac
import logging
import math
import tempfile
import threading
import time
from pathlib import Path

from . import state
from .settings import presenter_key
from .state import Key

logger = logging.getLogger(__name__)

def unlock(given: str) -> bool:
    """The session becomes the presenter if `given` is the server's key. A session that gave
    SESSION_LIMIT wrong keys within WINDOW_S is locked out for LOCK_S, and every session while the
    server has had SERVER_LIMIT wrong keys in WINDOW_S (a new session is a fresh quota): then nothing is
    compared and the page says so at its top. Wrong keys are logged, never their text."""
    now = _now()
    refusal = _lockout(now)
    if refusal is not None:
        state.put(Key.IS_PRESENTER, False)
        state.put(Key.FLASH, ("error", *refusal))
        logger.warning("presenter key not compared for session %s: %s", state.get(Key.NICK), refusal[0])
        return False
    key = presenter_key()
    ok = bool(key) and isinstance(given, str) and len(given) <= MAX_KEY_CHARS and hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), key.encode("utf-8"))  # a lone surrogate from JSON: wrong, not an error
    state.put(Key.IS_PRESENTER, ok)
    state.put(Key.KEY_GUESSES, ()) if ok else _wrong(now)
    if ok:
        state.put(Key.PRESENTER_PASS, issue_pass())
        state.put(Key.PASS_FORGET, False)
    return ok


PASS_S = 12 * 3600  # how long a browser keeps the presenter's rights without the key: a workshop's day
MAX_PASS_CHARS = 100  # "<10 digits>.<64 hex digits>"; a longer text is refused unread
PASS_ROUNDS = 200_000


@functools.lru_cache(maxsize=4)
def _pass_secret(key: str) -> bytes:
    """The signing secret: slow to derive (0.2-0.3 s here, once per key and process), so that a pass copied from
    a browser does not make the key cheap to guess offline."""
    return hashlib.pbkdf2_hmac("sha256", key.encode("utf-8"), b"mnist-presenter-pass", PASS_ROUNDS)


def issue_pass(now: float | None = None) -> str:
    """A pass for this browser, valid PASS_S from `now` (wall-clock seconds: servers share it)."""
    expires = int((time.time() if now is None else now) + PASS_S)
    return f"{expires}.{hmac.new(_pass_secret(presenter_key()), str(expires).encode(), 'sha256').hexdigest()}"


def pass_valid(text: object, now: float | None = None) -> bool:
    """Whether `text` is a pass this server's key signed that has not expired."""
    key = presenter_key()
    if not key or not isinstance(text, str) or len(text) > MAX_PASS_CHARS or text.count(".") != 1:
        return False
    expires, signature = text.split(".")
    if not (expires.isascii() and expires.isdigit()) or int(expires) <= (time.time() if now is None else now):
        return False
    expected = hmac.new(_pass_secret(key), expires.encode(), "sha256").hexdigest()
    return hmac.compare_digest(signature.encode("ascii", "replace"), expected.encode())


def resume(text: object) -> bool:
    """A browser's kept pass (identity.py): valid, the session is the presenter again; otherwise the
    browser is told to drop it. No guessing limit: a signature is 256 bits."""
    ok = pass_valid(text)
    if ok:
        state.put(Key.IS_PRESENTER, True)
    state.put(Key.PASS_FORGET, not ok)
    return ok


def give_up() -> None:
    """This browser stops being the presenter's (a shared computer): the session and its kept pass."""
    state.put(Key.IS_PRESENTER, False)
    state.put(Key.PRESENTER_PASS, None)
    state.put(Key.PASS_FORGET, True)
    state.put(Key.PRESENTER_KEY, "")  # the field, empty again (not "wrong key")


# Guessing limits. A key of 16 random letters has 26^16 values; at most SERVER_LIMIT guesses a minute
# reach the comparison on one server (the issue measured 22 a second from one session, ~51 from four).
SESSION_LIMIT = 10  # wrong keys within WINDOW_S that lock a session out: a presenter mistypes a few
SERVER_LIMIT = 30  # wrong keys within WINDOW_S from all of this server's sessions
WINDOW_S = 60.0
LOCK_S = 300  # how long a session stays locked out
MAX_KEY_CHARS = 1000  # a longer text is wrong without being encoded and compared
_now = time.monotonic


class ServerGuesses:
    """The times of the wrong keys all sessions of this server process gave within WINDOW_S (a
    server's sessions are threads of one process)."""

    def __init__(self) -> None:
        self._times: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def _drop_old(self, now: float) -> None:
        while self._times and now - self._times[0] >= WINDOW_S:
            self._times.popleft()

    def add(self, now: float) -> int:
        with self._lock:
            self._drop_old(now)
            self._times.append(now)
            return len(self._times)

    def full(self, now: float) -> bool:
        with self._lock:
            self._drop_old(now)
            return len(self._times) >= SERVER_LIMIT

    def __len__(self) -> int:
        return len(self._times)


SERVER_GUESSES = ServerGuesses()


def _lockout(now: float) -> tuple[str, dict] | None:
    """Why no key may be tried now (a catalogue key and its values), or None."""
    left = state.get(Key.KEY_LOCKED_UNTIL) - now
    if left > 0:
        return "presenter.locked", {"minutes": math.ceil(left / 60)}
    if SERVER_GUESSES.full(now):
        return "presenter.busy", {}
    return None


def _wrong(now: float) -> None:
    """Count a wrong key for the session and the server; lock the session out at its limit."""
    recent = (*(t for t in state.get(Key.KEY_GUESSES) if now - t < WINDOW_S), now)
    on_server = SERVER_GUESSES.add(now)
    nick = state.get(Key.NICK)
    if len(recent) >= SESSION_LIMIT:
        state.put(Key.KEY_LOCKED_UNTIL, now + LOCK_S)
        recent = ()
        logger.warning("wrong presenter key from session %s: %d in %d s, locked out for %d s",
                       nick, SESSION_LIMIT, WINDOW_S, LOCK_S)  # fmt: skip
    else:
        logger.warning("wrong presenter key from session %s (%d in %d s; %d on this server)", nick, len(recent), WINDOW_S, on_server)
    state.put(Key.KEY_GUESSES, recent)


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
