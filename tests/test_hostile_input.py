"""Hostile input from a browser, through AppTest: URL parameters no link of ours makes, a canvas value
no canvas of ours sends, presenter keys guessed one after another. Each gets at most one line on the
page, never an exception, and costs the server no more than ordinary input."""

from __future__ import annotations

import numpy as np
import pytest

from helpers_app import (
    LANGS,
    ONE,
    T,
    assert_clean,
    canvas_value,
    draw,
    open_section,
    predicted_digit,
    shown_test_image,
)
from helpers_core import crafted_png
from helpers_hostile import data_url, full_png, peak_rss_rise, with_text_bomb
from mnist_app import presenter_access
from mnist_app.settings import CANVAS_PX, TUTORIAL_INDEX
from mnist_app.state import Key

# ---------------------------------------------------------------------------------------------------
# URL parameters


BAD_INDEXES = {"superscript-2": "²", "arabic-3": "٣", "5000-digits": "1" * 5000, "minus": "-1", "letters": "12a",
               "space": " 7", "7-digits": "1234567"}


@pytest.mark.parametrize("index", BAD_INDEXES.values(), ids=BAD_INDEXES.keys())
def test_an_index_that_is_not_a_few_ascii_digits_shows_the_default_test_image(app_test, tiny_data, index):
    at = app_test("en", section="test", index=index)
    assert_clean(at)
    assert at.session_state[Key.TEST_INDEX] == TUTORIAL_INDEX
    assert shown_test_image(at)["index"] == TUTORIAL_INDEX
    assert at.query_params["index"] == str(TUTORIAL_INDEX)  # the URL is written back with the index shown


@pytest.mark.parametrize("lang", LANGS)
def test_a_plain_index_in_the_url_is_still_shown(app_test, tiny_data, lang):
    at = app_test(lang, section="test", index="17")
    assert_clean(at)
    assert shown_test_image(at)["index"] == 17


def test_an_overlong_model_name_in_the_url_is_ignored(app_test, no_data):
    at = app_test("en", model="m" * 100_000)
    assert not at.exception
    assert at.session_state[Key.ACTIVE] != "m" * 100_000


# ---------------------------------------------------------------------------------------------------
# The canvas's picture


def send_canvas(at, url, raw=None):
    """What a browser could send as the canvas's value: any picture URL, any Fabric JSON."""
    at.session_state["draw_canvas"] = {"drawing": {"raw": {"objects": [{"type": "Path"}]} if raw is None else raw, "data": url}}
    return at.run()


def warnings(at) -> list[str]:
    return [w.value for w in at.warning]


@pytest.mark.parametrize("lang", LANGS)
def test_a_9000_pixel_picture_is_refused_before_it_is_decoded(app_test, no_data, lang):
    url = data_url(full_png(9000))
    assert len(url) < 500_000  # the 452 kB message: 324 MB of pixels once decoded
    at = app_test(lang)
    normal, _ = peak_rss_rise(lambda: draw(at, ONE))
    rise, at = peak_rss_rise(lambda: send_canvas(at, url))
    assert_clean(at)
    assert warnings(at) == [T(lang, "draw.picture_too_large")] and predicted_digit(at) is None
    assert rise < 100, f"peak resident memory rose {rise:.0f} MB (a normal drawing: {normal:.0f} MB)"
    at = draw(at, ONE)  # the next drawing is read as ever
    assert_clean(at) and predicted_digit(at) is not None and warnings(at) == []


CRAFTED = {  # name: the URL, and the line the participant gets
    "20000x20000 (Pillow raised)": (lambda: data_url(crafted_png(20000, 20000, colour_type=6)), "too_large"),
    "89 megapixels, Pillow's floor": (lambda: data_url(crafted_png(9400, 9400, colour_type=6)), "too_large"),
    "one pixel over 3x": (lambda: data_url(crafted_png(3 * CANVAS_PX + 1, 3 * CANVAS_PX + 1, colour_type=6)), "too_large"),
    "a long URL": (lambda: data_url(full_png(CANVAS_PX)) + "A" * 6_000_000, "too_large"),
    "not square": (lambda: data_url(crafted_png(CANVAS_PX, 2 * CANVAS_PX, colour_type=6)), "unreadable"),
    "smaller": (lambda: data_url(crafted_png(28, 28, colour_type=6)), "unreadable"),
    "cut short": (lambda: data_url(full_png(CANVAS_PX)[:60]), "unreadable"),
    "only a header": (lambda: data_url(full_png(CANVAS_PX)[:24]), "unreadable"),
    "not base64": (lambda: "data:image/png;base64,iVBORw0KGgo%%%%" + "A" * 100, "unreadable"),
    "a JPEG": (lambda: "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ==", "unreadable"),
    "not text": (lambda: 12345, "unreadable"),
    "a list": (lambda: ["data:image/png;base64,"], "unreadable"),
}


@pytest.mark.parametrize("name", CRAFTED)
def test_a_crafted_picture_gets_one_line_and_costs_nothing(app_test, no_data, name):
    make, code = CRAFTED[name]
    at = app_test("ko")
    rise, at = peak_rss_rise(lambda: send_canvas(at, make()))
    assert_clean(at)
    assert warnings(at) == [T("ko", f"draw.picture_{code}")] and predicted_digit(at) is None
    assert rise < 30, f"{rise:.0f} MB"


def test_text_chunks_never_reach_pillow_and_the_picture_is_read(app_test, no_data):
    at = draw(app_test("en"), ONE)
    expected = predicted_digit(at)
    rise, at = peak_rss_rise(lambda: send_canvas(at, data_url(with_text_bomb(png_of(ONE)))))
    assert_clean(at)
    assert predicted_digit(at) == expected and rise < 30, f"{rise:.0f} MB"


def png_of(rgba) -> bytes:
    import base64

    return base64.b64decode(canvas_value(rgba)["drawing"]["data"].split(",", 1)[1])


def test_a_picture_at_three_times_the_canvas_is_scaled_to_it_and_read_the_same(app_test, no_data):
    from PIL import Image

    at = draw(app_test("en"), ONE)
    expected = predicted_digit(at)
    large = np.asarray(Image.fromarray(ONE).resize((3 * CANVAS_PX,) * 2, Image.Resampling.NEAREST))
    at = send_canvas(at, canvas_value(large)["drawing"]["data"])
    assert_clean(at)
    assert predicted_digit(at) == expected


@pytest.mark.parametrize("raw", ["objects", ["a"], {"objects": "many"}, {"objects": None}, 7])
def test_fabric_json_that_is_not_a_drawing_counts_no_strokes(app_test, no_data, raw):
    at = send_canvas(app_test("en"), canvas_value(ONE)["drawing"]["data"], raw=raw)
    assert_clean(at)
    assert predicted_digit(at) is not None and 'data-strokes="0"' in "".join(m.value for m in at.markdown)


# ---------------------------------------------------------------------------------------------------
# Presenter key guesses

KEY = "a-long-presenter-key-nobody-guesses"


class Clock:
    """time.monotonic for the presenter's limits, moved by hand."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def guesses(monkeypatch):
    """The server's key, a clock of the test's own and a server-wide count of wrong keys of its own
    (AppTest's sessions all run in this process, as a server's sessions do)."""
    monkeypatch.setenv("MNIST_PRESENTER_KEY", KEY)
    clock = Clock()
    monkeypatch.setattr(presenter_access, "_now", clock, raising=False)
    if hasattr(presenter_access, "ServerGuesses"):
        monkeypatch.setattr(presenter_access, "SERVER_GUESSES", presenter_access.ServerGuesses())
    return clock


def key_field(at, text: str):
    return at.text_input(key=Key.PRESENTER_KEY).input(text).run()


def errors(at) -> list[str]:
    return [e.value for e in at.error]


@pytest.mark.parametrize("lang", LANGS)
def test_eleven_wrong_keys_in_a_minute_lock_the_session_out_even_for_the_right_key(app_test, no_data, guesses, caplog, lang):
    at = open_section(app_test(lang), "model")
    for i in range(11):
        key_field(at, f"guess-{i}")
        guesses.now += 5  # eleven guesses in 55 s
        assert not at.exception and not at.session_state[Key.IS_PRESENTER]
    assert T(lang, "presenter.wrong_key") in [w.value for w in at.warning]
    key_field(at, KEY)
    assert not at.session_state[Key.IS_PRESENTER]
    assert errors(at) == [T(lang, "presenter.locked", minutes=presenter_access.LOCK_S // 60)]
    warned = [r.getMessage() for r in caplog.records if r.name == "mnist_app.presenter" and r.levelname == "WARNING"]
    assert len(warned) >= 11 and not any("guess-" in line or KEY in line for line in warned)  # never the text
    guesses.now += presenter_access.LOCK_S - 60
    key_field(at, KEY + " ")
    key_field(at, KEY)
    assert not at.session_state[Key.IS_PRESENTER]  # still locked: the lock is a few minutes
    guesses.now += 61
    key_field(at, KEY + "  ")
    key_field(at, KEY)
    assert_clean(at)
    assert at.session_state[Key.IS_PRESENTER]


def test_a_few_wrong_keys_are_only_wrong_and_the_right_one_still_opens(app_test, no_data, guesses):
    at = open_section(app_test("en"), "model")
    for i in range(5):
        key_field(at, f"guess-{i}")
    assert errors(at) == [] and T("en", "presenter.wrong_key") in [w.value for w in at.warning]
    key_field(at, KEY)
    assert at.session_state[Key.IS_PRESENTER]


def test_the_key_in_the_url_counts_as_a_guess_too(app_test, no_data, guesses):
    sessions = [app_test("en", key=f"url-guess-{i}") for i in range(3)]
    assert not any(s.session_state[Key.IS_PRESENTER] for s in sessions)
    assert len(presenter_access.SERVER_GUESSES) == 3


def test_wrong_keys_from_many_sessions_lock_the_server_for_a_minute(app_test, no_data, guesses, monkeypatch):
    monkeypatch.setattr(presenter_access, "SERVER_LIMIT", 12)
    for s in range(3):  # new sessions, each under its own limit: a fresh quota is no way around the server's
        at = open_section(app_test("en"), "model")
        for i in range(4):
            key_field(at, f"session-{s}-guess-{i}")
        assert not any(T("en", "presenter.locked", minutes=presenter_access.LOCK_S // 60) == e for e in errors(at))
    teacher = open_section(app_test("ko"), "model")
    key_field(teacher, KEY)
    assert not teacher.session_state[Key.IS_PRESENTER]
    assert errors(teacher) == [T("ko", "presenter.busy")]
    guesses.now += presenter_access.WINDOW_S
    key_field(teacher, KEY + " ")
    key_field(teacher, KEY)
    assert teacher.session_state[Key.IS_PRESENTER]


def test_an_overlong_key_is_wrong_without_being_compared(app_test, no_data, guesses):
    at = app_test("en", key="x" * 1_000_000)
    assert not at.exception and not at.session_state[Key.IS_PRESENTER]
