"""The presenter: one key unlocks every presenter-only action, and one check guards each of them.

The key comes from MNIST_PRESENTER_KEY on the server; a session gives it once (`?key=` in the URL or
the field in the Model section). Without it the actions are not shown, and `allowed()` refuses them
if a session forges the widget or calls them anyway. With no key set on the server nobody has them.
"""

from __future__ import annotations

import hmac
import tempfile
from pathlib import Path

from . import state
from .settings import presenter_key
from .state import Key


def unlock(given: str) -> bool:
    """The session becomes the presenter if `given` is the server's key."""
    key = presenter_key()
    ok = bool(key) and hmac.compare_digest(given.encode("utf-8"), key.encode("utf-8"))
    state.put(Key.IS_PRESENTER, ok)
    return ok


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
    from .models import delete_saved

    delete_saved(name, owner=None)


def set_default(name: str) -> None:
    """The model new sessions start on, on every app server of the room."""
    _check()
    from .models import shelf_rows
    from .resources import room_shelf

    room_shelf().set_default(name)
    shelf_rows.clear()


def hide_drawing(store, drawing_id: int) -> bool:
    """Take one drawing off the walls (it is on a projector); False if there is no such drawing."""
    _check()
    return store.hide(drawing_id)


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
