"""After a prediction, one tap says whether it was right or which digit was meant, and the drawing goes
into the room (mnist_app.room): the 28x28 input, a small copy of the canvas, the label, the model, its
answer. Nothing about the person but an anonymous id for this browser session.

The tap's callback runs before the script, so the drawing it stores is the one on screen at the last
run (`Key.ROOM_PENDING`); a drawing is stored at most once (`Key.ROOM_SAVED` holds its fingerprint).

All ten digits are on screen at once, in one row on a laptop or projector and two rows of five on a
phone (style/base.css, `.st-key-room_meant`): a sideways strip hid 8 and 9, the digits a model misreads
most. The thanks takes the buttons' place and a refusal sits right under them; either is scrolled into
view after the tap, and after Clear the canvas is (components/reveal.py).
"""

from __future__ import annotations

import hashlib
import secrets

import numpy as np
import streamlit as st

from . import state
from .components.reveal import reveal
from .i18n import t
from .resources import room_store
from .state import Key


def fingerprint(x28: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(x28, dtype=np.float32).tobytes()).hexdigest()


def offer(x28: np.ndarray, probs: np.ndarray, model_name: str, canvas: np.ndarray) -> None:
    """Under a prediction: "right?" with one tap for yes and one per digit for "no, I meant ..."."""
    key = fingerprint(x28)
    if (state.get(Key.ROOM_PENDING) or {}).get("key") != key:
        # A new drawing: the last scroll (to the canvas after Clear, to the thanks) is done, and a scroll
        # component drawn on every stroke after it was 4% of a stroke's run (issue 25).
        state.put(Key.ROOM_REVEAL, None)
    state.put(Key.ROOM_PENDING, {"key": key, "x28": x28, "probs": probs, "model": model_name, "canvas": canvas})
    # One slot for the buttons or the thanks: in the Draw fragment's rerun after a tap, a thanks drawn
    # where the buttons' columns were left the old digits on screen beside it (Chromium, Streamlit 1.67).
    slot = st.empty()
    if state.get(Key.ROOM_SAVED) == key:
        with slot.container(key="room_thanks"):
            show_score()
        return
    # One row that wraps, not columns: two blocks and three messages fewer on every stroke's answer.
    with slot.container(key="room_buttons", horizontal=True, vertical_alignment="bottom", gap="medium"):
        st.button(t("room.yes"), key="room_yes", on_click=submit, args=(int(probs.argmax()),), type="primary")
        st.pills(t("room.no"), [str(d) for d in range(10)], key=Key.ROOM_MEANT, on_change=submit_meant, width="stretch", wrap=True)


def forget() -> None:
    """The canvas is empty: the next drawing is a new one. Right after Clear (a drawing was on
    screen), bring the canvas back into view: on a phone the page was scrolled down to the digits."""
    if state.get(Key.ROOM_PENDING) is not None:
        state.put(Key.ROOM_REVEAL, ('[class*="st-key-draw_canvas"]', "nearest", secrets.token_hex(4)))
    state.put(Key.ROOM_PENDING, None)  # nothing left to store, or for Inside to show
    state.put(Key.ROOM_SAVED, None)
    state.put(Key.ROOM_ERROR, None)  # a refusal was about that drawing
    show_reveal()


def show_reveal() -> None:
    if state.get(Key.ROOM_REVEAL) is not None:
        reveal(*state.get(Key.ROOM_REVEAL))


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
    try:
        room_store().add(
            session_id=state.get(Key.TOKEN), label=label, model=pending["model"], predicted=int(pending["probs"].argmax()),
            probabilities=pending["probs"].tolist(), input28=pending["x28"], thumbnail=thumbnail_png(pending["canvas"]),
        )  # fmt: skip
    except RoomError as e:
        state.put(Key.ROOM_ERROR, e.code)  # under the digits, in view: the tap must not seem to do nothing
        state.put(Key.ROOM_REVEAL, ('.st-key-room_refusal [data-testid="stAlert"]', "nearest", secrets.token_hex(4)))
        return
    state.put(Key.ROOM_ERROR, None)
    state.put(Key.ROOM_SAVED, pending["key"])
    # The thanks at the bottom of the screen: on a phone that brings the canvas back for the next drawing.
    # The message itself, not its slot: the slot may show the old buttons for a moment under its new key.
    state.put(Key.ROOM_REVEAL, ('.st-key-room_thanks [data-testid="stAlert"]', "end", secrets.token_hex(4)))


def show_score() -> None:
    from .room import RoomError

    try:
        right, total = room_store().session_score(state.get(Key.TOKEN))
    except RoomError as e:
        st.warning(t(f"room.error.{e.code}"))
        return
    st.success(t("room.saved", right=right, total=total))


def show_error() -> None:
    """Under the digits: why the last tap stored nothing; then the scroll that brings it (or the thanks) into view."""
    code = state.get(Key.ROOM_ERROR)
    if code:
        with st.container(key="room_refusal"):
            st.warning(t(f"room.error.{code}"))
    show_reveal()
