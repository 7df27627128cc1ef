"""The Data section through AppTest, and what every data section does when the data cannot be had (no folder, OpenML unreachable).

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
    predicted_digit,
    wait_for_training,
)  # fmt: skip
from mnist_app.state import Key


@pytest.mark.parametrize("lang", LANGS)
def test_data_shows_the_source_a_labelled_row_and_where_it_went(app_test, tiny_data, tiny_mnist, lang):
    from mnist_core.data import split_rows

    at = open_section(app_test(lang), "data")
    assert_clean(at)
    assert "tiny synthetic test data" in markdown_text(at)
    assert f'data-row="0">{T(lang, "data.label")}: <b>{tiny_mnist.labels[0]}</b>' in markdown_text(at)
    test_rows = split_rows(len(tiny_mnist.labels))[1]
    row = int(test_rows[2018])  # the data set row that became test image 2018
    at.number_input(key=Key.DATA_INDEX).set_value(row).run()
    assert f'data-row="{row}">{T(lang, "data.label")}: <b>{tiny_mnist.labels[row]}</b>' in markdown_text(at)
    assert T(lang, "data.in_test", index=2018) in [c.value for c in at.caption]


@pytest.mark.parametrize("section", ["test", "data", "train"])
def test_missing_data_gives_instructions_and_the_rest_keeps_working(app_test, no_data, section):
    at = open_section(app_test(), section)
    if section == "train":  # the worker has no data either: the training fails with the reason
        at.button(key="train_button").click().run()
        at = wait_for_training(at)
    assert not at.exception
    assert [e.value for e in at.error] == [T("en", "data.error.missing")]
    assert str(no_data) not in markdown_text(at)  # no server path on the page
    assert [i.value for i in at.info] == [T("en", "data.help")]
    at = draw(open_section(at, "draw"), ONE)
    assert predicted_digit(at) is not None
    assert_clean(at)


def test_unreachable_openml_gives_a_message(app_test, monkeypatch):
    import mnist_core.data as mdata
    from conftest import clear_streamlit_caches

    def offline(**kwargs):
        raise mdata.DataError(f"OpenML cannot be reached (no network); {mdata.OPENML_HINT}", "offline")

    monkeypatch.delenv("MNIST_DATA_DIR", raising=False)
    monkeypatch.setattr(mdata, "fetch_openml_mnist", offline)
    clear_streamlit_caches()
    at = open_section(app_test("ko"), "test")
    assert not at.exception
    assert [e.value for e in at.error] == [T("ko", "data.error.offline")]
    at.button(key="data_retry_test").click().run()  # tries again, fails again, still a message
    assert [e.value for e in at.error] == [T("ko", "data.error.offline")] and not at.exception
