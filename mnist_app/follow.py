"""Follow the presenter: the presenter's page publishes where it is (section, lesson step, test image,
Inside's digit) to the room's database; every participant's page watches it and moves there.

The watching is an HTTP poll, not a script run: an invisible component (components/watch.py) asks
the server's `api/presence` route (presence_route.py: the row's `seq` from a per-process cache) every
POLL_S, and only when the seq is not the one the page last read does it make the follow fragment
rerun, which reads the row and reruns the whole page if the presenter moved. Measured with 150 idle
pages on 2 cores (bench/bench_follow.py --polls): a fragment's timed rerun once a second cost the server
3.6 ms of CPU each (0.55 of a core for the room), a poll 0.54 ms (0.08 of a core). The presenter's own
page keeps a timed rerun (its live counts, components/lead.py): one page.

The page takes the new position at the start of the next run (`start_of_run`), before any widget is
drawn, so the widgets show it; the canvas is drawn on every run, so a drawing stays. A page that finds
itself somewhere the presenter did not send it (its own click on the navigation, a lesson step,
another test image) stops following; the "Follow the presenter" button starts it again. The same
fragment shows the question on screen (components.ask) and, to the presenter, the join card and the
questions' controls.
"""

from __future__ import annotations

import logging

import streamlit as st

from . import state
from .i18n import t
from .state import Key

logger = logging.getLogger(__name__)
# Polling period. A follower moves at most POLL_S (+ the route's cache, presence_route.MAX_AGE_S) after
# the presenter, plus its page's rerun queued behind the other followers' (30 followers with timed
# reruns: median 0.92 s, p95 1.41 s at load 3-5 on 2 cores; bench/bench_follow.py, docs/benchmarks.md).
POLL_S = 1.0


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
    """The "Follow the presenter" button: back to following, and there at once."""
    state.put(Key.FOLLOWING, True)
    state.put(Key.FOLLOW_APPLIED, None)
    state.put(Key.FOLLOW_SEQ, 0)  # read as new: the position is taken even if the presenter has not moved since
    check()


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


def check() -> None:
    """Read the presenter's row (the watcher saw a new seq, the page's first run, the button): the
    question on screen refreshed, and the position kept for the next run if the presenter moved."""
    from .components import ask
    from .resources import room_store
    from .room import RoomError
    from .room.presence import Presenter

    touched()
    state.put(Key.FOLLOW_READ, True)
    try:
        found = Presenter(room_store()).read()
    except RoomError:  # the room is away: the watcher asks again when its seq changes (or after a while)
        return
    if found is None or found.seq == state.get(Key.FOLLOW_SEQ):
        return
    state.put(Key.FOLLOW_SEQ, found.seq)
    ask.refresh(found.question, found.question_status)
    if state.get(Key.FOLLOWING) and found.position != state.get(Key.FOLLOW_APPLIED):
        state.put(Key.FOLLOW_PENDING, found.position)


def room_sync() -> None:
    """Every page: the presenter's controls (redrawn every POLL_S), or the participant's following and question."""
    (_lead if _is_presenter() else _follow)()


@st.fragment(run_every=POLL_S)
def _lead() -> None:
    from .components import lead
    from .frame import guarded

    guarded("follow", lead.render)


@st.fragment
def _follow() -> None:
    """Reruns alone when the watcher says the presenter's row changed (its callback, `check`, read it)
    or a widget in it is used; a whole page's run reads only the first time."""
    from .frame import guarded

    guarded("follow", _sync)


def _sync() -> None:
    from .components import ask, watch

    touched()
    if not state.get(Key.FOLLOW_READ):
        check()
    if state.get(Key.FOLLOWING) and state.get(Key.FOLLOW_PENDING) is not None:
        st.rerun(scope="app")
    watch.mount(state.get(Key.FOLLOW_SEQ), POLL_S, key=Key.FOLLOW_WATCH, on_moved=check)
    if not state.get(Key.FOLLOWING) and state.get(Key.FOLLOW_SEQ):
        st.button(t("follow.button"), key="follow_again", on_click=follow_again, icon=":material/my_location:", type="primary")
    ask.participant()
