"""Hostile input from a browser, through AppTest: URL parameters no link of ours makes, a canvas value
no canvas of ours sends, presenter keys guessed one after another. Each gets at most one line on the
page, never an exception, and costs the server no more than ordinary input."""

from __future__ import annotations

import pytest

from helpers_app import LANGS, T, assert_clean, shown_test_image
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
