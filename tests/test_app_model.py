"""The Model section through AppTest: the checkpoints listed, the unloadable ones said, a choice for this session only, an error line instead of an exception.

Tiny data and tiny checkpoints (conftest) keep each test to about a second; widgets by their keys.
"""

from __future__ import annotations

import pytest

from helpers_app import (
    LANGS,
    ONE,
    T,
    assert_clean,
    draw,
    markdown_text,
    open_section,
)  # fmt: skip
from mnist_app.state import Key


@pytest.mark.parametrize("lang", LANGS)
def test_model_lists_checkpoints_and_unloadable_files(app_test, no_data, lang):
    at = open_section(app_test(lang), "model")
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert list(table[T(lang, "model.col.name")]) == ["wide", "tutorial"]  # best first
    assert list(table[T(lang, "model.col.architecture")]) == ["784-32-10", "784-16-10"]
    assert list(table[T(lang, "model.col.active")]) == ["", "●"]  # a mark, not a checkbox that looks clickable
    assert [w.value for w in at.warning] == [T(lang, "model.unusable", name="broken.pt")]


def test_choosing_a_model_makes_it_active_for_this_session_only(app_test, no_data):
    at, other = open_section(app_test(), "model"), app_test()
    at.selectbox(key=Key.MODEL_SELECT).set_value("wide").run()
    assert at.session_state[Key.ACTIVE] == "wide"
    assert "wide" in at.caption[0].value and at.query_params["model"] == "wide"
    at = draw(open_section(at, "draw"), ONE)
    assert "model: wide" in markdown_text(at)
    assert other.run().session_state[Key.ACTIVE] == "tutorial"


def test_no_usable_checkpoint_is_an_error_line_not_an_exception(app_test, no_data, checkpoint_dir):
    for path in checkpoint_dir.glob("*.pt"):
        path.unlink()
    at = app_test()
    assert not at.exception
    assert [e.value for e in at.error] == [T("en", "model.none")]
    at = open_section(at, "model")
    assert not at.exception and [e.value for e in at.error] == [T("en", "model.none")]


def test_an_unexpected_error_in_a_section_is_one_catalogue_line(app_test, no_data, monkeypatch):
    import mnist_app.sections.model as section

    monkeypatch.setattr(section, "table", lambda *a: 1 / 0)
    at = open_section(app_test("ko"), "model")
    assert not at.exception and [e.value for e in at.error] == [T("ko", "error.section")]
    assert_clean(open_section(at, "draw"))
