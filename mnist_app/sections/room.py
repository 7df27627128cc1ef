"""Room: everyone's labelled drawings, live for the presenter. At the top the active model's accuracy on
the room against the test images (a projector shows it without scrolling), then the wall (newest first),
the fooled-the-model wall, the room's confusion matrix, counts per digit, and the same drawings rescored
by another checkpoint: all of it redrawn every REFRESH_S, so the numbers move with the wall. With the
presenter key: hide one drawing or all of one participant's, clear the room (after a confirmation),
export the drawings for the command line."""

from __future__ import annotations

import numpy as np
import streamlit as st

from .. import presenter, state
from ..catalogue import active_model, model_choices
from ..components.charts import bar_counts, confusion_heatmap
from ..components.wall import wall
from ..frame import display_name
from ..i18n import t
from ..resources import predict, room_store
from ..state import OWN_MODEL, Key

REFRESH_S = 3.0  # the wall and the room's figures redraw themselves this often while the section is open
# One participant's share of a wall: their newest few only. 30 drawings a minute (the flood limit) let
# one phone fill the 40-tile wall in under a minute; with 4 each, ten people fill it and no one holds
# more than a tenth, while a small group at home still sees several of each person's.
WALL_TILES, WALL_SHARE = 40, 4
FOOLED_TILES, FOOLED_SHARE = 20, 2  # the fooled wall is half as large: the same tenth


@st.cache_resource(max_entries=32, show_spinner=False)
def rescorer(cache_id: str, where: str, _model, _store):
    """One model's readings of one room (room.rescoring.Rescorer), shared by every session of this
    server: a refresh reads only the drawings added since the last (best_mlp takes 0.57 s for 1000)."""
    from ..room.rescoring import Rescorer

    return Rescorer(_store, lambda x: predict(_model, x).argmax(1))


def score(choice, store):
    return rescorer(choice.cache_id, store.where, choice.model, store).evaluation()


def scores(model, room) -> None:
    """The active model's accuracy on the room (`room`: its Evaluation) beside its accuracy on the test images."""
    test = model.accuracy
    left, right = st.columns(2)
    left.metric(t("room.accuracy_room", model=display_name(model.name)), f"{100 * room.accuracy:.1f}%",
                help=t("room.of", correct=room.correct, total=room.total))  # fmt: skip
    right.metric(t("room.accuracy_test"), "…" if test is None else f"{100 * test:.2f}%")


def confusion_chart(room) -> None:
    st.markdown(f"**{t('room.confusion')}**")
    confusion_heatmap(room.confusion, meant=t("room.meant"), read=t("room.read"), height=320, font=14, label_font=16)


def compare(store, model, mine) -> None:
    """The room's drawings read again by another checkpoint, beside the active model's reading (`mine`)."""
    choices = {n: c for n, c in model_choices().items() if n != OWN_MODEL}
    others = [n for n in choices if n != model.name]
    if not others:
        return
    other = st.selectbox(t("room.compare_with"), others, key="room_compare")
    theirs = score(choices[other], store)
    st.markdown(t("room.compared", a=display_name(model.name), a_right=mine.correct, b=other, b_right=theirs.correct,
                  total=mine.total))  # fmt: skip


def participants(store) -> None:
    """The presenter's: hide every drawing of one participant at once (someone filling the room with
    ones). The choice lists nicknames; the token behind each never leaves the server."""
    from ..room.participants import Participants

    if not presenter.allowed():
        return
    people = {p.session_id: p for p in Participants(store).list()}
    if not people:
        return
    names = {who: t("room.participant", nick=state.nick_of(who), n=p.drawings, newest=p.newest) for who, p in people.items()}
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    who = left.selectbox(t("room.hide_who"), list(people), format_func=names.get, key=Key.ROOM_HIDE_WHO,
                         placeholder=t("room.hide_who_pick"))  # fmt: skip
    right.button(t("room.hide_all"), key="room_hide_all", width="stretch", disabled=who is None,
                 on_click=hide_participant, args=(store,))  # fmt: skip


def act(action, *args) -> None:
    """Run a presenter's action on the room from a callback (before the page is drawn, so the walls
    show its result); a database failure is kept for the page to say (`refusal`), not raised."""
    from ..room import RoomError

    try:
        action(*args)
    except RoomError as e:
        state.put(Key.ROOM_ACTION_ERROR, e.code)
        return
    state.put(Key.ROOM_ACTION_ERROR, None)


def refusal() -> None:
    if state.get(Key.ROOM_ACTION_ERROR):
        st.warning(t(f"room.error.{state.get(Key.ROOM_ACTION_ERROR)}"))


def hide_participant(store) -> None:
    if state.get(Key.ROOM_HIDE_WHO) is not None:
        act(presenter.hide_participant, store, state.get(Key.ROOM_HIDE_WHO))


def figures(store) -> None:
    """Everything that moves with the room, in the order a projector needs it."""
    model, counts = active_model(), store.counts()
    room = score(model, store) if model is not None and sum(counts) else None
    if room is not None:
        scores(model, room)
    st.markdown(t("room.intro", n=sum(counts)))
    wall(store.recent(WALL_TILES, per_participant=WALL_SHARE), show_ids=presenter.allowed())
    participants(store)
    refusal()
    st.markdown(f"**{t('room.fooled')}**")
    wall(store.wrong(FOOLED_TILES, per_participant=FOOLED_SHARE), show_ids=presenter.allowed())
    left, right = st.columns(2, gap="large")
    if room is not None:
        with left:
            confusion_chart(room)
    with right:
        st.markdown(f"**{t('room.per_digit')}**")
        bar_counts(np.array(counts), height=220)
        if room is not None:
            compare(store, model, room)


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
    act(presenter.hide_drawing, store, int(state.get(Key.ROOM_HIDE_ID)))


def clear(store) -> None:
    if state.get(Key.ROOM_CLEAR_SURE):
        act(presenter.clear_room, store)
    state.put(Key.ROOM_CLEAR_SURE, False)


def render() -> None:
    from ..room import RoomError

    store = room_store()

    @st.fragment(run_every=REFRESH_S)
    def live() -> None:
        try:
            figures(store)
        except RoomError as e:
            st.error(t(f"room.error.{e.code}"))

    live()
    try:
        moderation(store)
    except RoomError as e:
        st.error(t(f"room.error.{e.code}"))
