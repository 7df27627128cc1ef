"""Room: everyone's labelled drawings, live for the presenter. The wall (newest first), the fooled-the-
model wall, counts per digit, the active model's accuracy on the room against the test images, the
room's confusion matrix, and the same drawings rescored by another checkpoint. With the presenter key:
hide a drawing, clear the room (after a confirmation), export the drawings for the command line."""

from __future__ import annotations

import numpy as np
import streamlit as st

from mnist_core.train import evaluate

from .. import presenter, state
from ..catalogue import active_model, model_choices
from ..components.charts import bar_counts, confusion_heatmap
from ..components.wall import wall
from ..i18n import t
from ..resources import room_store
from ..state import OWN_MODEL, Key

REFRESH_S = 3.0  # the wall redraws itself this often while the section is open


def rescore(choice, x: np.ndarray, y: np.ndarray):
    return evaluate(choice.model, x, y, device=next(choice.model.parameters()).device)


def scores(store) -> None:
    model = active_model()
    x, y = store.all_inputs()
    if model is None or not len(y):
        return
    room = rescore(model, x, y)
    test = model.accuracy
    left, right = st.columns(2)
    left.metric(t("room.accuracy_room", model=model.name), f"{100 * room.accuracy:.1f}%", help=t("room.of", correct=room.correct, total=room.total))
    right.metric(t("room.accuracy_test"), "…" if test is None else f"{100 * test:.2f}%")
    confusion_chart(room.confusion)


def confusion_chart(matrix) -> None:
    st.markdown(f"**{t('room.confusion')}**")
    confusion_heatmap(matrix, meant=t("room.meant"), read=t("room.read"), height=320, font=14, label_font=16)


def compare(store) -> None:
    """The room's drawings read again by another checkpoint, beside the active model."""
    choices = {n: c for n, c in model_choices().items() if n != OWN_MODEL}
    model = active_model()
    others = [n for n in choices if model is None or n != model.name]
    x, y = store.all_inputs()
    if not others or not len(y) or model is None:
        return
    other = st.selectbox(t("room.compare_with"), others, key="room_compare")
    mine, theirs = rescore(model, x, y), rescore(choices[other], x, y)
    st.markdown(t("room.compared", a=model.name, a_right=mine.correct, b=other, b_right=theirs.correct, total=len(y)))


def moderation(store) -> None:
    """The presenter's: hide one drawing (by the number on its tile), clear the room, export it."""
    if not presenter.allowed():
        return
    with st.expander(t("presenter.title"), expanded=True):
        left, right = st.columns([2, 1], vertical_alignment="bottom")
        left.number_input(t("room.hide_which"), min_value=1, step=1, key=Key.ROOM_HIDE_ID)
        right.button(t("room.hide"), key="room_hide", width="stretch", on_click=hide, args=(store,))
        sure = st.checkbox(t("room.clear_sure"), key=Key.ROOM_CLEAR_SURE)
        st.button(t("room.clear"), key="room_clear", disabled=not sure, icon=":material/delete_forever:", on_click=clear, args=(store,))
        st.download_button(t("room.export"), data=presenter.export_room(store), file_name="room-drawings.npz", key="room_export")


def hide(store) -> None:
    presenter.hide_drawing(store, int(state.get(Key.ROOM_HIDE_ID)))


def clear(store) -> None:
    if state.get(Key.ROOM_CLEAR_SURE):
        presenter.clear_room(store)
    state.put(Key.ROOM_CLEAR_SURE, False)


def render() -> None:
    from ..room import RoomError

    store = room_store()

    @st.fragment(run_every=REFRESH_S)
    def live() -> None:
        try:
            drawings = store.recent(40)
            st.markdown(t("room.intro", n=sum(store.counts())))
            wall(drawings, show_ids=presenter.allowed())
            st.markdown(f"**{t('room.fooled')}**")
            wall(store.wrong(20), show_ids=presenter.allowed())
            st.markdown(f"**{t('room.per_digit')}**")
            bar_counts(np.array(store.counts()), height=220)
        except RoomError as e:
            st.error(t(f"room.error.{e.code}"))

    live()
    try:
        scores(store)
        compare(store)
        moderation(store)
    except RoomError as e:
        st.error(t(f"room.error.{e.code}"))
