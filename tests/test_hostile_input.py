"""Hostile input from a browser, through AppTest: URL parameters no link of ours makes, a canvas value
no canvas of ours sends, presenter keys guessed one after another. Each gets at most one line on the
page, never an exception, and costs the server no more than ordinary input."""

from __future__ import annotations

import pytest

from helpers_app import LANGS, T, assert_clean, open_section, shown_test_image
from mnist_app import presenter
from mnist_app.settings import TUTORIAL_INDEX
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
    monkeypatch.setattr(presenter, "_now", clock, raising=False)
    if hasattr(presenter, "ServerGuesses"):
        monkeypatch.setattr(presenter, "SERVER_GUESSES", presenter.ServerGuesses())
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
    assert errors(at) == [T(lang, "presenter.locked", minutes=presenter.LOCK_S // 60)]
    warned = [r.getMessage() for r in caplog.records if r.name == "mnist_app.presenter" and r.levelname == "WARNING"]
    assert len(warned) >= 11 and not any("guess-" in line or KEY in line for line in warned)  # never the text
    guesses.now += presenter.LOCK_S - 60
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
    assert len(presenter.SERVER_GUESSES) == 3


def test_wrong_keys_from_many_sessions_lock_the_server_for_a_minute(app_test, no_data, guesses, monkeypatch):
    monkeypatch.setattr(presenter, "SERVER_LIMIT", 12)
    for s in range(3):  # new sessions, each under its own limit: a fresh quota is no way around the server's
        at = open_section(app_test("en"), "model")
        for i in range(4):
            key_field(at, f"session-{s}-guess-{i}")
        assert not any(T("en", "presenter.locked", minutes=presenter.LOCK_S // 60) == e for e in errors(at))
    teacher = open_section(app_test("ko"), "model")
    key_field(teacher, KEY)
    assert not teacher.session_state[Key.IS_PRESENTER]
    assert errors(teacher) == [T("ko", "presenter.busy")]
    guesses.now += presenter.WINDOW_S
    key_field(teacher, KEY + " ")
    key_field(teacher, KEY)
    assert teacher.session_state[Key.IS_PRESENTER]


def test_an_overlong_key_is_wrong_without_being_compared(app_test, no_data, guesses):
    at = app_test("en", key="x" * 1_000_000)
    assert not at.exception and not at.session_state[Key.IS_PRESENTER]
