"""The room section through AppTest (issue 19, part A): one participant's share of the walls is bounded;
the presenter hides all of one participant's drawings at once, choosing them by nickname (the token
never reaches the page), and nobody else can; the room's accuracy follows the room at every refresh."""

from __future__ import annotations

import re

import pytest
from google.protobuf.json_format import MessageToJson

from conftest import clear_streamlit_caches
from helpers_app import LANGS, T, assert_clean
from helpers_room import entry
from mnist_app import presenter
from mnist_app.room import new_session_id, open_store
from mnist_app.sections.room import FOOLED_SHARE, WALL_SHARE
from mnist_app.state import Key, nick_of

KEY = "k3y"


@pytest.fixture
def room(tmp_path, monkeypatch):
    """A fresh room (SQLite) the AppTests use, and a store on it to fill it and look into it."""
    path = tmp_path / "room" / "room.sqlite3"
    monkeypatch.setenv("MNIST_ROOM_DB", str(path))
    clear_streamlit_caches()  # the store is a shared resource: a fresh one for this database
    store = open_store(str(path))
    yield store
    store.close()
    clear_streamlit_caches()


def fill(store, who: str, n: int, label: int = 1, predicted: int = 1, first_mark: int = 0) -> list[int]:
    return [store.add(**entry(who, label, predicted, first_mark + i)) for i in range(n)]


def walls(at) -> list[str]:
    return [h.proto.body for h in at.get("html") if 'class="wall"' in h.proto.body]


def tile_ids(wall: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-id="(\d+)"', wall)]


def page_protos(at) -> str:
    """Everything the page was sent, as text."""
    found, stack = [], [at._tree]
    while stack:
        node = stack.pop()
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "DESCRIPTOR"):
            found.append(MessageToJson(proto))
        stack.extend(getattr(node, "children", {}).values())
    return "\n".join(found)


def test_one_participant_fills_at_most_their_share_of_the_walls(app_test, no_data, room):
    flooder, alice = new_session_id(), new_session_id()
    early = fill(room, alice, 2, label=3, predicted=3)
    flood = fill(room, flooder, 12, label=1, predicted=7, first_mark=100)  # all "fooled"
    at = app_test("ko", section="room")
    assert_clean(at)
    wall, fooled = walls(at)
    assert tile_ids(wall) == [*flood[: -WALL_SHARE - 1 : -1], *early[::-1]]
    assert tile_ids(fooled) == flood[: -FOOLED_SHARE - 1 : -1]
    assert T("ko", "room.intro", n=14) in [m.value for m in at.markdown]  # the counts keep everything


@pytest.mark.parametrize("lang", LANGS)
def test_the_presenter_hides_all_of_one_participant_by_nickname(app_test, no_data, room, monkeypatch, lang):
    monkeypatch.setenv("MNIST_PRESENTER_KEY", KEY)
    flooder, alice = new_session_id(), new_session_id()
    mine = fill(room, alice, 2, label=4, predicted=4)
    theirs = fill(room, flooder, 6, first_mark=100)
    teacher = app_test(lang, key=KEY, section="room")
    assert_clean(teacher)
    choice = teacher.selectbox(key=Key.ROOM_HIDE_WHO)
    assert choice.options == [T(lang, "room.participant", nick=nick_of(flooder), n=6, newest=theirs[-1]),
                              T(lang, "room.participant", nick=nick_of(alice), n=2, newest=mine[-1])]  # fmt: skip
    assert f"#{theirs[-1]} {nick_of(flooder)}" in walls(teacher)[0]  # the tile says whose it is
    sent = page_protos(teacher)
    assert flooder not in sent and alice not in sent  # tokens never reach the page
    assert choice.value is None and teacher.button(key="room_hide_all").disabled  # nobody chosen yet
    choice.set_value(flooder).run()
    teacher.button(key="room_hide_all").click().run()
    assert_clean(teacher)
    assert [d.id for d in room.recent(40)] == mine[::-1]
    assert tile_ids(walls(teacher)[0]) == mine[::-1]  # off the wall at once
    assert teacher.selectbox(key=Key.ROOM_HIDE_WHO).options == [
        T(lang, "room.participant", nick=nick_of(alice), n=2, newest=mine[-1])
    ]


def test_only_the_presenter_may_hide_a_participant(app_test, no_data, room, monkeypatch):
    monkeypatch.setenv("MNIST_PRESENTER_KEY", KEY)
    flooder = new_session_id()
    fill(room, flooder, 3)
    at = app_test("en", section="room")
    assert_clean(at)
    assert not any(b.key == "room_hide_all" for b in at.button)
    assert not any(s.key == Key.ROOM_HIDE_WHO for s in at.selectbox)
    assert not any(nick_of(flooder) in w for w in walls(at))  # nicknames on tiles are the presenter's
    with pytest.raises(presenter.Refused):  # called outside a presenter's session
        presenter.hide_participant(room, flooder)
    assert len(room.recent(40)) == 3


def room_accuracy(at) -> tuple[str, int, int]:
    """The room's accuracy metric: its value and the (correct, total) its help gives."""
    metric = next(m for m in at.metric if m.label == T("en", "room.accuracy_room", model="tutorial"))
    correct, total = re.fullmatch(r"(\d+) of (\d+)", metric.help).groups()
    return metric.value, int(correct), int(total)


def test_the_rooms_accuracy_follows_the_room_at_each_refresh(app_test, no_data, room):
    who = new_session_id()
    at = app_test("en", section="room")
    assert not at.metric  # an empty room: no accuracy yet
    room.add(**entry(who, 0, 0))
    at.run()  # what the fragment's timed refresh runs
    value, correct, total = room_accuracy(at)
    assert total == 1 and value == f"{100 * correct:.1f}%"
    for mark in range(1, 4):
        room.add(**entry(who, mark, 0, mark))
    at.run()
    value, correct, total = room_accuracy(at)
    assert total == 4 and value == f"{100 * correct / 4:.1f}%"
    assert T("en", "room.intro", n=4) in [m.value for m in at.markdown]
