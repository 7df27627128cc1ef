"""Follow the presenter: the presenter's page publishes where it is (section, lesson step, test image,
Inside's digit) to the room's database; every participant's page polls it and moves there.

The poll is a fragment that reruns alone every POLL_S: one read of one row by its primary key
(room.presence), and a whole-page rerun only when the presenter moved. The page takes the new
position at the start of that run (`start_of_run`), before any widget is drawn, so the widgets show
it; the canvas is drawn on every run, so a drawing stays. A page that finds itself somewhere the
presenter did not send it (its own click on the navigation, a lesson step, another test image) stops
following; the "Follow the presenter" button starts it again. The same fragment shows the question
on screen (components.ask) and, to the presenter, the join card and the questions' controls.
"""

from __future__ import annotations

import logging
import time

import streamlit as st

from . import state
from .i18n import t
from .state import Key

logger = logging.getLogger(__name__)
# Polling period. A follower moves at most POLL_S after the presenter, plus its page's rerun queued
# behind the other followers' (30 followers: median 0.92 s, p95 1.41 s at load 3-5 on 2 cores; p95
# 2.9-3.8 s at load 8-12); a poll costs the server about 4.5 ms (bench/bench_follow.py, docs/benchmarks.md).
POLL_S = 1.0
# A whole page's run (a stroke) reads only when the fragment has not read for this long (a first page):
# the timed reruns do the reading, so a stroke's run costs no database read.
FRESH_S = 3 * POLL_S


def here():
    from .room.presence import Position

    return Position(state.get(Key.SECTION), int(state.get(Key.LESSON_STEP)), int(state.get(Key.TEST_INDEX)), int(state.get(Key.INSIDE_INDEX)))


def _is_presenter() -> bool:
    from .presenter import allowed

    return allowed()


def touched() -> None:
    """A page that is not where the presenter sent it was moved by its participant: it stops following."""
    applied = state.get(Key.FOLLOW_APPLIED)
    if state.get(Key.FOLLOWING) and applied is not None and here() != applied:
        state.put(Key.FOLLOWING, False)


def _take(position) -> None:
    state.put(Key.SECTION, position.section)
    state.put(Key.LESSON_STEP, position.lesson_step)
    state.put(Key.TEST_INDEX, position.test_index)
    state.put(Key.INSIDE_INDEX, position.inside_index)
    state.put(Key.FOLLOW_APPLIED, position)


def start_of_run() -> None:
    """app.py, before the header: take the presenter's new position if still following."""
    if state.get(Key.IS_PRESENTER):
        return
    touched()
    pending = state.get(Key.FOLLOW_PENDING)
    state.put(Key.FOLLOW_PENDING, None)
    if pending is not None and state.get(Key.FOLLOWING):
        _take(pending)


def follow_again() -> None:
    """The "Follow the presenter" button: back to following; the next poll brings the page there."""
    state.put(Key.FOLLOWING, True)
    state.put(Key.FOLLOW_APPLIED, None)
    state.put(Key.FOLLOW_SEQ, 0)  # read as new: the position is taken even if the presenter has not moved since


def publish() -> None:
    """The presenter's page, after its run: publish the position if it changed (one write per move)."""
    if not _is_presenter():
        return
    position = here()
    if position == state.get(Key.PUBLISHED):
        return
    from . import presenter
    from .room import RoomError

    try:
        presenter.publish_position(position)
        state.put(Key.PUBLISHED, position)
    except RoomError as e:  # the room is away: the next run tries again
        logger.warning("presenter position not published: %s", e.detail or e.code)


def _read(force: bool):
    """The presenter's row, or None: the fragment's timed rerun (`force`) reads; a whole page's run
    only when nothing has read for FRESH_S."""
    now = time.monotonic()
    if not force and now - state.get(Key.FOLLOW_READ_AT) < FRESH_S:
        return None
    from .resources import room_store
    from .room import RoomError
    from .room.presence import Presenter

    state.put(Key.FOLLOW_READ_AT, now)
    try:
        return Presenter(room_store()).read()
    except RoomError:
        return None


def _poll() -> bool:
    """Read the presenter's row; True when the whole page must rerun (the presenter moved)."""
    from .components import ask

    touched()
    found = _read(force=_in_fragment_run())
    if found is None or found.seq == state.get(Key.FOLLOW_SEQ):
        return False
    state.put(Key.FOLLOW_SEQ, found.seq)
    ask.refresh(found.question, found.question_status)
    if state.get(Key.FOLLOWING) and found.position != state.get(Key.FOLLOW_APPLIED):
        state.put(Key.FOLLOW_PENDING, found.position)
        return True
    return False


def _in_fragment_run() -> bool:
    """Whether this is the fragment's own timed rerun (then it reads), not a whole page's run."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx is not None and bool(getattr(ctx, "fragment_ids_this_run", None))


@st.fragment(run_every=POLL_S)
def room_sync() -> None:
    """Every page: the presenter's controls, or the participant's following and the question on screen."""
    from .frame import guarded

    guarded("follow", _sync)


def _sync() -> None:
    from .components import ask

    if _is_presenter():
        from .components import lead

        lead.render()
        return
    if _poll():
        st.rerun(scope="app")
    if not state.get(Key.FOLLOWING) and state.get(Key.FOLLOW_SEQ):
        st.button(t("follow.button"), key="follow_again", on_click=follow_again, icon=":material/my_location:", type="primary")
    ask.participant()
