"""Widget values no widget of ours sends, forged as a browser could (AppTest sends them as they are):
the Train section's numbers have no bounds of Streamlit's (sections/train.py says why) and are
refused at Train like typed ones; free text is refused by the checks downstream. No exception,
nothing queued."""

from __future__ import annotations

import math

import pytest

from helpers_app import assert_clean, open_section, shown_test_image
from mnist_app.state import Key


@pytest.mark.parametrize("key, forged", [
    (Key.TRAIN_EPOCHS, 10**15), (Key.TRAIN_EPOCHS, -3), (Key.TRAIN_LR, math.nan), (Key.TRAIN_LR, math.inf),
    (Key.TRAIN_LR, 1e300), (Key.TRAIN_BATCH, 2**53), (Key.TRAIN_SEED, 2**40),
])  # fmt: skip
def test_a_forged_number_out_of_range_is_refused_in_one_line(app_test, tiny_data, key, forged):
    at = open_section(app_test("en"), "train")
    at.number_input(key=key).set_value(forged).run()
    at.button(key="train_button").click().run()
    assert not at.exception and len(at.error) == 1
    assert at.session_state[Key.TRAIN_JOB] is None


def test_a_forged_test_index_past_the_end_shows_an_image_that_exists(app_test, tiny_data):
    at = open_section(app_test("en"), "test")
    at.number_input(key=Key.TEST_INDEX).set_value(10**15).run()
    assert_clean(at)
    assert 0 <= shown_test_image(at)["index"] < len(tiny_data.y_test)


@pytest.mark.parametrize("hidden", ["1, " * 2_000_000, "9" * 5000, "4096, " * 7, "-5"], ids=["2M-layers", "5000-digits", "7-layers", "negative"])
def test_forged_hidden_sizes_are_refused_in_one_line_and_nothing_is_queued(app_test, tiny_data, hidden):
    at = open_section(app_test("en"), "train")
    at.text_input(key=Key.TRAIN_HIDDEN).set_value(hidden).run()  # forged: the page would not let it be typed
    at.button(key="train_button").click().run()
    assert not at.exception and len(at.error) == 1
    assert at.session_state[Key.TRAIN_JOB] is None


def test_free_text_fields_are_bounded_where_streamlit_cuts_them(app_test, no_data, monkeypatch):
    """max_chars: Streamlit cuts a longer value on the server, before our code sees it."""
    from mnist_app.presenter_access import MAX_KEY_CHARS

    monkeypatch.setenv("MNIST_PRESENTER_KEY", "k" * 20)
    at = open_section(app_test("en"), "train")
    assert at.text_input(key=Key.TRAIN_HIDDEN).proto.max_chars == 64
    at = open_section(at, "model")
    assert at.text_input(key=Key.PRESENTER_KEY).proto.max_chars == MAX_KEY_CHARS


def test_the_server_refuses_oversized_messages_before_parsing_them():
    import tomllib

    from conftest import REPO

    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxWidgetStateSize"] <= 8  # MB; a stroke is ~6 kB, the largest accepted picture ~5.4 MB
