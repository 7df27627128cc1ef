"""After a prediction, one tap says whether it was right or which digit was meant, and the drawing goes
into the room (mnist_app.room): the 28x28 input, a small copy of the canvas, the label, the model, its
answer. Nothing about the person but an anonymous id for this browser session.

The tap's callback runs before the script, so the drawing it stores is the one on screen at the last
run (`Key.ROOM_PENDING`); a drawing is stored at most once (`Key.ROOM_SAVED` holds its fingerprint).
"""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

from . import state
from .i18n import t
from .resources import room_store
from .state import Key


def fingerprint(x28: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(x28, dtype=np.float32).tobytes()).hexdigest()


def offer(x28: np.ndarray, probs: np.ndarray, model_name: str, canvas: np.ndarray) -> None:
    """Under a prediction: "right?" with one tap for yes and one per digit for "no, I meant ..."."""
    key = fingerprint(x28)
    state.put(Key.ROOM_PENDING, {"key": key, "x28": x28, "probs": probs, "model": model_name, "canvas": canvas})
    if state.get(Key.ROOM_SAVED) == key:
        show_score()
        return
    left, right = st.columns([1, 3], vertical_alignment="bottom")
    left.button(t("room.yes"), key="room_yes", on_click=submit, args=(int(probs.argmax()),), type="primary", width="stretch")
    right.pills(t("room.no"), [str(d) for d in range(10)], key=Key.ROOM_MEANT, on_change=submit_meant)


def forget() -> None:
    state.put(Key.ROOM_SAVED, None)


def submit_meant() -> None:
    meant = state.get(Key.ROOM_MEANT)
    state.put(Key.ROOM_MEANT, None)
    if meant is not None:
        submit(int(meant))


def submit(label: int) -> None:
    from .room import RoomError, thumbnail_png

    pending = state.get(Key.ROOM_PENDING)
    if pending is None or state.get(Key.ROOM_SAVED) == pending["key"]:
        return
    grey = np.asarray(pending["canvas"])[..., 0]  # white ink on black: any colour channel is the ink
    try:
        room_store().add(
            session_id=state.get(Key.TOKEN), label=label, model=pending["model"], predicted=int(pending["probs"].argmax()),
            probabilities=pending["probs"].tolist(), input28=pending["x28"], thumbnail=thumbnail_png(grey),
        )  # fmt: skip
    except RoomError as e:
        state.put(Key.ROOM_ERROR, e.code)
        return
    state.put(Key.ROOM_ERROR, None)
    state.put(Key.ROOM_SAVED, pending["key"])


def show_score() -> None:
    from .room import RoomError

    try:
        right, total = room_store().session_score(state.get(Key.TOKEN))
    except RoomError as e:
        st.warning(t(f"room.error.{e.code}"))
        return
    st.success(t("room.saved", right=right, total=total))


def show_error() -> None:
    code = state.get(Key.ROOM_ERROR)
    if code:
        st.warning(t(f"room.error.{code}"))
