"""The room's PostgreSQL stopped and started again while participants confirm drawings, through AppTest:
the page says the room is unavailable in one line, drawing and predicting go on, and the next
confirmation after the server is back is stored, with no restart of the app (a cluster of the
test's own: helpers_room.Cluster)."""

from __future__ import annotations

import pytest

from conftest import clear_streamlit_caches, need
from helpers_app import ONE, T, assert_clean, draw, drawing, predicted_digit
from helpers_room import Cluster, pg_bin


@pytest.fixture
def cluster_room(monkeypatch):
    need(pg_bin() is not None, "PostgreSQL's binaries (Debian's postgresql package) are not installed")
    cluster = Cluster()
    url = cluster.new_database()
    monkeypatch.setenv("MNIST_ROOM_DB", url)
    monkeypatch.setenv("MNIST_ROOM_TIMEOUT_S", "2")
    clear_streamlit_caches()  # the store is a shared resource: a fresh one for this database
    yield cluster, url
    clear_streamlit_caches()
    cluster.close()


def stored(url: str) -> list:
    from mnist_app.room import open_store

    store = open_store(url)
    try:
        return store.recent(100, include_hidden=True)
    finally:
        store.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_stopped_server_is_one_line_and_the_room_comes_back(app_test, no_data, cluster_room, lang):
    cluster, url = cluster_room
    at = draw(app_test(lang), ONE)
    at.button(key="room_yes").click().run()
    assert [s.value for s in at.success] == [T(lang, "room.saved", right=1, total=1)]
    cluster.stop()
    at = draw(draw(at, drawing(), strokes=0), drawing((40, 300, 100, 124), (276, 300, 100, 250)))
    at.button(key="room_yes").click().run()
    assert_clean(at)
    assert [w.value for w in at.warning] == [T(lang, "room.error.unavailable")]
    assert predicted_digit(at) is not None  # drawing goes on
    cluster.start()
    at = draw(draw(at, drawing(), strokes=0), ONE)
    at.button(key="room_yes").click().run()
    assert_clean(at)
    assert [s.value for s in at.success] == [T(lang, "room.saved", right=2, total=2)]
    assert len(stored(url)) == 2  # the first and the last: the one refused was not stored
