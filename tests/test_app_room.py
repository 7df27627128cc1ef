"""The room, through AppTest: a participant confirms or corrects a prediction and the drawing is stored
once; the presenter's wall, scores and moderation; a database that cannot be used."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import clear_streamlit_caches
from helpers_app import LANGS, ONE, T, assert_clean, draw, drawing, open_section, predicted_digit
from mnist_app.state import Key

KEY = "k3y"


@pytest.fixture
def room_db(tmp_path, monkeypatch):
    path = tmp_path / "room" / "room.sqlite3"
    monkeypatch.setenv("MNIST_ROOM_DB", str(path))
    clear_streamlit_caches()  # the store is a shared resource: a fresh one for this database
    yield path
    clear_streamlit_caches()


def stored(path) -> list:
    from mnist_app.room import open_store

    return open_store(str(path)).recent(100, include_hidden=True)


@pytest.mark.parametrize("lang", LANGS)
def test_a_confirmed_drawing_is_stored_once_with_its_score(app_test, no_data, room_db, lang):
    at = draw(app_test(lang), ONE)
    digit = predicted_digit(at)
    at.button(key="room_yes").click().run()
    assert_clean(at)
    assert [s.value for s in at.success] == [T(lang, "room.saved", right=1, total=1)]
    at.run()  # the same drawing again: not offered twice
    assert not any(b.key == "room_yes" for b in at.button)
    at = draw(draw(at, drawing(), strokes=0), ONE)  # cleared and drawn anew, the same: a new drawing
    assert any(b.key == "room_yes" for b in at.button)
    rows = stored(room_db)
    assert len(rows) == 1 and rows[0].label == rows[0].predicted == digit and rows[0].model == "tutorial"
    assert len(rows[0].session_id) == 32 and rows[0].thumbnail.startswith(b"\x89PNG")


def test_a_corrected_drawing_stores_the_digit_meant(app_test, no_data, room_db):
    at = draw(app_test("en"), ONE)
    wrong = (predicted_digit(at) + 1) % 10
    at.pills(key=Key.ROOM_MEANT).set_value(str(wrong)).run()  # the tap on "No, I meant" <wrong>
    rows = stored(room_db)
    assert [(r.label, r.correct) for r in rows] == [(wrong, False)]
    assert [s.value for s in at.success] == [T("en", "room.saved", right=0, total=1)]
    at = draw(at, drawing((40, 300, 100, 124), (276, 300, 100, 250)))  # another drawing (an L): asked again
    assert any(b.key == "room_yes" for b in at.button)


def test_the_wall_shows_the_rooms_drawings_newest_first(app_test, no_data, room_db):
    at = app_test("ko")
    for boxes in (((40, 300, 156, 180),), ((40, 300, 100, 124), (276, 300, 100, 250))):
        at = draw(at, drawing(*boxes))
        at.button(key="room_yes").click().run()
    at = open_section(at, "room")
    assert_clean(at)
    walls = [h.proto.body for h in at.get("html") if 'class="wall"' in h.proto.body]
    ids = [r.id for r in stored(room_db)]
    assert walls and walls[0].index(f'data-id="{ids[0]}"') < walls[0].index(f'data-id="{ids[1]}"')
    assert T("ko", "room.intro", n=2) in [m.value for m in at.markdown]
    assert {m.label for m in at.metric} == {T("ko", "room.accuracy_room", model="tutorial"), T("ko", "room.accuracy_test")}
    assert not any(b.key == "room_clear" for b in at.button)  # moderation is the presenter's


def test_the_presenter_hides_clears_and_exports(app_test, no_data, room_db, monkeypatch, tmp_path):
    monkeypatch.setenv("MNIST_PRESENTER_KEY", KEY)
    participant = draw(app_test("en"), ONE)
    participant.button(key="room_yes").click().run()
    first = stored(room_db)[0].id
    teacher = app_test("en", key=KEY, section="room")
    teacher.number_input(key=Key.ROOM_HIDE_ID).set_value(first).run()
    teacher.button(key="room_hide").click().run()
    assert stored(room_db)[0].hidden
    export = teacher.get("download_button")[0]
    assert export.proto.label == T("en", "room.export")
    assert teacher.button(key="room_clear").disabled  # not before the confirmation
    assert len(stored(room_db)) == 1
    teacher.checkbox(key=Key.ROOM_CLEAR_SURE).check().run()
    teacher.button(key="room_clear").click().run()
    assert stored(room_db) == [] and not teacher.checkbox(key=Key.ROOM_CLEAR_SURE).value
    assert_clean(teacher)


def test_a_database_that_cannot_be_used_is_one_line_and_drawing_goes_on(app_test, no_data, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the database's folder should be")
    monkeypatch.setenv("MNIST_ROOM_DB", str(blocker / "room.sqlite3"))
    clear_streamlit_caches()
    at = draw(app_test("ko"), ONE)
    at.button(key="room_yes").click().run()
    assert predicted_digit(at) is not None and not at.exception
    assert [w.value for w in at.warning] == [T("ko", "room.error.unavailable")]
    at = open_section(at, "room")
    assert not at.exception and T("ko", "room.error.unavailable") in [e.value for e in at.error]
    assert np.array_equal(at.session_state[Key.ROOM_PENDING]["x28"].shape, (28, 28))
