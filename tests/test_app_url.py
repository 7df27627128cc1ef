"""The address holds the view: a bookmarked URL opens its section, language, index and model; unknown values fall back; presenter mode from the URL and the toggle.

Tiny data and tiny checkpoints (conftest) keep each test to about a second; widgets by their keys.
"""

from __future__ import annotations

from helpers_app import (
    T,
    assert_clean,
    markdown_text,
    shown_test_image,
)  # fmt: skip
from mnist_app.state import Key


def test_a_bookmarked_url_opens_its_section_language_index_and_model(app_test, tiny_data):
    at = app_test("ko", section="test", index=2017, model="wide")
    assert_clean(at)
    assert shown_test_image(at)["index"] == 2017
    assert at.session_state[Key.ACTIVE] == "wide"
    assert T("ko", "test.true_label") in markdown_text(at)
    assert at.query_params == {"lang": "ko", "section": "test", "index": "2017", "model": "wide"}
    at.button(key="test_next").click().run()
    assert shown_test_image(at)["index"] == 2018
    assert at.query_params["index"] == "2018"  # the URL follows the view


def test_an_unknown_model_or_section_in_the_url_falls_back(app_test, no_data):
    at = app_test("en", section="nowhere", model="../etc", index="x")
    assert_clean(at)
    assert at.session_state[Key.SECTION] == "draw" and at.session_state[Key.ACTIVE] == "tutorial"


def test_presenter_mode_from_the_url_and_the_toggle(app_test, no_data):
    from mnist_app.style import css

    presenter_css = css("presenter")
    at = app_test("en", presenter=1)
    assert at.toggle(key=Key.PRESENTER).value is True
    assert any(presenter_css in h.proto.body for h in at.get("html"))  # larger type, Streamlit's chrome hidden
    at.toggle(key=Key.PRESENTER).set_value(False).run()
    assert not any(presenter_css in h.proto.body for h in at.get("html"))
    assert "presenter" not in at.query_params
    assert_clean(at)
