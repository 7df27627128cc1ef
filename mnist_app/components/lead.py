"""The presenter's controls for leading the room: the join card (on the page or full screen) and the
questions (ask one of each kind, see how many answered, close, reveal, end). Shown only to the session
that gave the presenter key; every action goes through mnist_app.presenter, which refuses anyone else.
"""

from __future__ import annotations

import logging

import streamlit as st

from .. import asking, join, presenter, state
from ..i18n import language, t
from ..room import RoomError
from ..room.questions import CLOSED, ENDED, KINDS, OPEN, REVEALED
from ..state import Key
from . import ask

logger = logging.getLogger(__name__)


def join_card() -> None:
    c = st.columns([1, 1, 4])
    c[0].toggle(t("join.show"), key=Key.JOIN_SHOWN)
    if not state.get(Key.JOIN_SHOWN):
        return
    c[1].toggle(t("join.full"), key=Key.JOIN_FULL)
    full = state.get(Key.JOIN_FULL)
    if full:  # the page is under the card: a button above it hides the card again
        st.html("<style>.st-key-join_hide {position:fixed; top:16px; right:16px; z-index:999999;}</style>")
        st.button(t("join.hide"), key="join_hide", on_click=state.put, args=(Key.JOIN_FULL, False), icon=":material/close:")
    st.markdown(join.CSS + join.card_html(join.join_url(language()), t("join.title"), t("join.hint"), full), unsafe_allow_html=True)


def _ask() -> None:
    """Open the question chosen; a picture that does not exist or a refused training says so."""
    kind = state.get(Key.ASK_KIND)
    try:
        if kind == "predict":
            asking.ask_predict(state.get(Key.ASK_SOURCE))
        elif kind == "untrained":
            asking.ask_untrained()
        else:
            asking.ask_setting(state.get(Key.ASK_SETTINGS))
    except asking.NoPicture as e:
        state.put(Key.FLASH, ("error", f"questions.no_picture.{e}", {}))
    except ValueError:
        state.put(Key.FLASH, ("error", "questions.pick_settings", {}))
    except RoomError as e:
        state.put(Key.FLASH, ("error", f"room.error.{e.code}", {}))


def _status(question_id: str, status: str, truth: dict | None = None) -> None:
    try:
        presenter.set_question(question_id, status, truth)
    except RoomError as e:
        state.put(Key.FLASH, ("error", f"room.error.{e.code}", {}))


def _reveal(view: dict) -> None:
    truth = asking.setting_truth(view["spec"]) if view["kind"] == "setting" else None
    if view["kind"] == "setting" and truth is None:
        state.put(Key.FLASH, ("error", "questions.still_training", {}))
        return
    _status(view["id"], REVEALED, truth)


def new_question() -> None:
    kinds = {k: t(f"questions.menu.{k}") for k in KINDS}
    st.segmented_control(t("questions.ask_label"), KINDS, key=Key.ASK_KIND, required=True, format_func=kinds.get)
    if state.get(Key.ASK_KIND) == "predict":
        sources = {s: t(f"questions.source.{s}") for s in asking.SOURCES}
        st.segmented_control(t("questions.source_label"), asking.SOURCES, key=Key.ASK_SOURCE, required=True, format_func=sources.get)
    elif state.get(Key.ASK_KIND) == "setting":
        view = {"kind": "setting", "spec": {"choices": list(asking.SETTINGS)}}
        labels = {name: ask.label(view, i) for i, name in enumerate(asking.SETTINGS)}
        st.multiselect(t("questions.settings_label"), list(asking.SETTINGS), key=Key.ASK_SETTINGS, max_selections=4, format_func=labels.get)
    st.button(t("questions.ask"), key="ask_open", on_click=_ask, type="primary", icon=":material/help:")


def on_screen(view: dict) -> None:
    """The question the room sees, with the presenter's buttons; the histogram only once revealed."""
    ask.show(view, answering=False)
    st.caption(t("questions.answered", n=sum(ask.room_questions().counts(view["id"], len(view["spec"]["choices"])))))
    if view["kind"] == "setting" and view["status"] != REVEALED:
        done = [a for a in asking.setting_results(view["spec"]) if a is not None]
        st.caption(t("questions.trained", done=len(done), total=len(view["spec"]["jobs"])))
    c = st.columns(3)
    c[0].button(t("questions.close"), key="ask_close", on_click=_status, args=(view["id"], CLOSED), disabled=view["status"] != OPEN, width="stretch")
    c[1].button(t("questions.reveal"), key="ask_reveal", on_click=_reveal, args=(view,), disabled=view["status"] == REVEALED, width="stretch")
    c[2].button(t("questions.end"), key="ask_end", on_click=_status, args=(view["id"], ENDED), width="stretch")


def render() -> None:
    join_card()
    try:
        current = presenter_question()
    except RoomError as e:
        st.error(t(f"room.error.{e.code}"))
        return
    with st.expander(t("questions.panel"), expanded=current is not None):
        on_screen(current) if current is not None else new_question()


def presenter_question() -> dict | None:
    """The question on screen as the presenter's page shows it (read on every poll: one page, not thirty)."""
    from ..resources import room_store
    from ..room.presence import Presenter

    found = Presenter(room_store()).read()
    if found is None or found.question is None:
        return None
    return ask.load_view(found.question, None)
