"""The evaluation through AppTest, in Korean and English: a click on a cell of the confusion matrix
shows its mistakes, a click on a digit opens it with its probabilities, and the selectboxes (the
keyboard's way) and the matrix always agree.

AppTest cannot click a chart, so `click_chart` sends what the browser sends after a click: the chart's
whole selection, toggled as Vega toggles it. The app's own callbacks then run as they do in a browser;
tests/test_e2e_browser.py clicks the real chart.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from helpers_app import (
    LANGS,
    T,
    assert_clean,
    chart_frame,
    click_chart,
    dialogs,
    dismiss_dialog,
    markdown_text,
    open_section,  # fmt: skip
    probability_bars,
    shown_test_image,
)
from mnist_app.components import clickable
from mnist_app.sections.evaluate import cell_after, outlined
from mnist_app.state import Key


def matrix_of(at) -> np.ndarray:
    frame = chart_frame(at, Key.EVAL_MATRIX)
    matrix = np.zeros((10, 10), int)
    matrix[frame["true"], frame["read"]] = frame["n"]
    return matrix


def outlined_cells(at) -> set[tuple[int, int]]:
    frame = chart_frame(at, Key.EVAL_MATRIX)
    return {(int(a), int(b)) for a, b in frame.loc[frame["chosen"], ["true", "read"]].to_numpy()}


def tiles(at) -> list[int]:
    return [int(i) for i in chart_frame(at, Key.EVAL_GALLERY)["index"]]


def shown_cell(at) -> tuple[str, str]:
    return at.selectbox(key=Key.EVAL_TRUE).value, at.selectbox(key=Key.EVAL_READ).value


def busiest_mistake(matrix: np.ndarray) -> tuple[int, int]:
    off = np.where(np.eye(10, dtype=bool), -1, matrix)
    true, read = np.unravel_index(off.argmax(), off.shape)
    return int(true), int(read)


def cell(true: int, read: int) -> dict:
    return {"true": true, "read": read}


def test_a_click_is_what_changed_in_the_toggled_selection():
    before = clickable.selected([cell(3, 5)], clickable.CELL_FIELDS)
    assert before == {(3, 5)} and clickable.selected({}, clickable.CELL_FIELDS) == frozenset()  # {}: Vega's "none"
    assert clickable.clicked(before, clickable.selected([cell(3, 5), cell(7, 1)], clickable.CELL_FIELDS)) == (7, 1)
    assert clickable.clicked(before, frozenset()) == (3, 5)  # clicked again: out of the selection, still a click
    assert clickable.clicked(before, frozenset({(7, 1)})) == (7, 1)  # the browser forgot (3, 5): still one click
    assert clickable.clicked(before, before) is None and clickable.clicked(frozenset(), {(1, 2), (2, 1)}) is None


def test_a_cell_shows_its_mistakes_and_the_diagonal_or_a_second_click_all():
    assert cell_after((3, 5), (None, None)) == (3, 5)
    assert cell_after((3, 5), (3, 5)) == (None, None)  # the same cell again
    assert cell_after((4, 4), (3, 5)) == (None, None)  # the diagonal holds no mistakes
    assert cell_after(None, (3, 5)) == (None, None)
    assert cell_after((3, 5), (3, None)) == (3, 5)  # from a row (chosen in the selectboxes) to one cell
    assert not outlined(None, None).any() and outlined(3, 5).sum() == 1 and outlined(3, 5)[3, 5]
    assert outlined(3, None).sum() == 9 and not outlined(3, None)[3, 3]  # a row, less its right answers


def test_the_cell_colours_set_the_diagonal_apart():
    right, _ = clickable.cell_colours(980, 20, diagonal=True)
    none, _ = clickable.cell_colours(0, 20, diagonal=False)
    few, many = clickable.cell_colours(1, 20, diagonal=False), clickable.cell_colours(20, 20, diagonal=False)
    assert right == clickable.RIGHT and none == "#ffffff" and few[0] != none and few[0] != many[0]
    assert many == ("#c62828", "#ffffff")  # the most frequent mistake: the cards' red, white counts


@pytest.mark.parametrize("lang", LANGS)
def test_a_click_on_a_cell_shows_its_mistakes_and_a_second_click_all(app_test, tiny_data, lang):
    at = open_section(app_test(lang), "evaluate")
    assert_clean(at)
    matrix = matrix_of(at)
    assert matrix.sum() == len(tiny_data.y_test) and outlined_cells(at) == set()
    assert len(tiles(at)) == min(24, matrix.sum() - np.trace(matrix))  # all the mistakes, most confident first
    true, read = busiest_mistake(matrix)
    store: list[dict] = []
    at = click_chart(at, Key.EVAL_MATRIX, clickable.CELL, cell(true, read), store)
    assert_clean(at)
    assert shown_cell(at) == (str(true), str(read)) and outlined_cells(at) == {(true, read)}
    shown = tiles(at)
    assert len(shown) == min(24, matrix[true, read]) and all(int(tiny_data.y_test[i]) == true for i in shown)
    captions = chart_frame(at, Key.EVAL_GALLERY)["caption"]
    assert all(c.startswith(f"{true}→{read} ") for c in captions)  # read as `read`, every one
    assert T(lang, "evaluate.gallery_hint", shown=len(shown), total=matrix[true, read]) in [c.value for c in at.caption]
    at = click_chart(at, Key.EVAL_MATRIX, clickable.CELL, cell(true, read), store)  # the same cell again
    assert shown_cell(at) == ("*", "*") and outlined_cells(at) == set()
    at = click_chart(at, Key.EVAL_MATRIX, clickable.CELL, cell(true, read), store)
    at = click_chart(at, Key.EVAL_MATRIX, clickable.CELL, cell(true, true), store)  # the diagonal
    assert shown_cell(at) == ("*", "*") and len(tiles(at)) == min(24, matrix.sum() - np.trace(matrix))
    assert_clean(at)


@pytest.mark.parametrize("lang", LANGS)
def test_the_selectboxes_choose_a_cell_too_and_the_matrix_follows(app_test, tiny_data, lang):
    at = open_section(app_test(lang), "evaluate")
    assert T(lang, "evaluate.any") in at.selectbox(key=Key.EVAL_TRUE).options  # "*" is never shown
    matrix = matrix_of(at)
    true, read = busiest_mistake(matrix)
    store: list[dict] = []
    at = click_chart(at, Key.EVAL_MATRIX, clickable.CELL, cell(true, read), store)
    at.selectbox(key=Key.EVAL_READ).set_value("*").run()  # the keyboard: the whole row
    assert outlined_cells(at) == {(true, d) for d in range(10) if d != true}
    assert all(int(tiny_data.y_test[i]) == true for i in tiles(at))
    # Vega still holds the cell; a click on it takes it out of the selection, and is still a click on it.
    at = click_chart(at, Key.EVAL_MATRIX, clickable.CELL, cell(true, read), store)
    assert store == [] and shown_cell(at) == (str(true), str(read)) and outlined_cells(at) == {(true, read)}
    at = open_section(open_section(at, "test"), "evaluate")  # the cell is kept while away
    assert shown_cell(at) == (str(true), str(read)) and len(tiles(at)) == min(24, matrix[true, read])
    assert_clean(at)


@pytest.mark.parametrize("lang", LANGS)
def test_a_click_on_a_digit_opens_it_with_its_probabilities(app_test, tiny_data, lang):
    at = open_section(app_test(lang), "evaluate")
    assert dialogs(at) == []
    gallery = chart_frame(at, Key.EVAL_GALLERY)
    index = int(gallery["index"][2])
    true, read, percent = re.fullmatch(r"(\d)→(\d) (\d+)%", gallery["caption"][2]).groups()
    assert int(true) == int(tiny_data.y_test[index]) and read != true
    tooltip = T(lang, "evaluate.tile", index=index, true=true, predicted=read, percent=percent)
    assert gallery["label"][2] == tooltip  # and what a screen reader says
    store: list[dict] = []
    at = click_chart(at, Key.EVAL_GALLERY, clickable.DIGIT, {"index": index}, store)
    assert_clean(at)
    assert at.session_state[Key.EVAL_OPEN] == index and len(dialogs(at)) == 1
    opened = shown_test_image(at)
    assert opened == {"index": index, "true": int(tiny_data.y_test[index]), "predicted": int(read)}
    assert dialogs(at)[0].proto.dialog.title == T(lang, "test.caption", index=index)
    bars = probability_bars(at)  # the ten probabilities, in the dialog
    assert T(lang, "chart.probability") in markdown_text(at)
    probs = np.array([p for p, _ in bars.values()])
    assert probs.sum() == pytest.approx(1, abs=1e-4) and int(probs.argmax()) == opened["predicted"]
    assert bars[opened["true"]][1] == "true"  # the true label's bar green, as in Test images
    at = dismiss_dialog(at)
    assert at.session_state[Key.EVAL_OPEN] is None and dialogs(at) == []
    at = click_chart(at, Key.EVAL_GALLERY, clickable.DIGIT, {"index": index}, store)  # again: out of Vega's selection
    assert store == [] and at.session_state[Key.EVAL_OPEN] == index and len(dialogs(at)) == 1
    assert_clean(at)


@pytest.mark.parametrize("lang", LANGS)
def test_evaluation_shows_the_accuracy_per_digit_and_a_second_model(app_test, tiny_data, lang):
    at = open_section(app_test(lang), "evaluate")
    assert_clean(at)
    (table,) = at.dataframe
    assert list(table.value.columns) == [str(d) for d in range(10)]
    assert list(table.value.index) == [T(lang, "evaluate.accuracy")]
    matrix = matrix_of(at)
    np.testing.assert_allclose(table.value.iloc[0].to_numpy(), 100 * np.diag(matrix) / matrix.sum(1))
    compared = [m.value for m in at.markdown if "**tutorial**" in m.value and "**wide**" in m.value]
    assert len(compared) == 1 and "2020" in compared[0]  # both models on the same 2020 test images
    assert re.search(T(lang, "evaluate.indices", indices="") + r"\d", "\n".join(c.value for c in at.caption))
    assert T(lang, "evaluate.matrix") in markdown_text(at)
