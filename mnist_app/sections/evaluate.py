"""Evaluation: where the active model is wrong on the test images. The confusion matrix, the
misclassified digits most confident first, per-digit accuracy, and a second model beside it: how
many each gets right, and the digits where they disagree.

The matrix and the digits answer clicks: a click on a cell shows that cell's mistakes (the diagonal,
or the cell shown again, shows them all), a click on a digit opens it large with its ten
probabilities. Two selectboxes choose the cell too, for a keyboard or a screen reader, which cannot
click a chart; the click writes them, so both always show the same cell.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import streamlit as st

from mnist_core import evaluation

from .. import state
from ..catalogue import ModelChoice, active_model, model_choices
from ..components import cards, clickable, figures
from ..components.charts import probability_chart
from ..components.pictures import pixels
from ..frame import display_name
from ..i18n import t
from ..resources import require_data, test_probabilities
from ..state import Key

GALLERY = 24  # digits at most in a gallery
COLS = {False: 6, True: 4}  # the mistakes' columns: on a projector fewer, wide enough for captions at its body size
ANY = "*"  # the selectboxes' "any digit"
DIGITS = [ANY, *map(str, range(10))]


@st.cache_data(show_spinner=False, max_entries=16)
def gallery_png(images: np.ndarray, captions: tuple[str, ...]) -> bytes:
    return figures.to_png(figures.gallery_figure(images, list(captions), cols=6, caption_pt=9))  # the page's width: 25 px at 1280


def shown_cell() -> tuple[int | None, int | None]:
    """The cell whose mistakes are shown: (true digit, digit read), None for any."""
    return tuple(None if v == ANY else int(v) for v in (state.get(Key.EVAL_TRUE), state.get(Key.EVAL_READ)))


def cell_after(click: tuple[int, int] | None, shown: tuple[int | None, int | None]) -> tuple[int | None, int | None]:
    """What a click on the matrix shows: that cell's mistakes; all of them for the diagonal (it holds
    none), for the cell already shown (a second click takes it back) or for no one cell."""
    if click is None or click[0] == click[1] or tuple(click) == shown:
        return None, None
    return click[0], click[1]


def click_of(chart: str, seen: str, param: str, fields: tuple[str, ...]) -> tuple[int, ...] | None:
    """The cell or digit just clicked in `chart`: the change from the selection `seen` at the last run."""
    now = clickable.selected(state.get(chart)["selection"].get(param), fields)
    click = clickable.clicked(state.get(seen), now)
    state.put(seen, now)
    return click


def choose_cell() -> None:
    """The matrix's on_select: the selectboxes take the clicked cell (a callback may write widgets)."""
    click = click_of(Key.EVAL_MATRIX, Key.EVAL_MATRIX_SEEN, clickable.CELL, clickable.CELL_FIELDS)
    true, read = cell_after(click, shown_cell())
    state.put(Key.EVAL_TRUE, ANY if true is None else str(true))
    state.put(Key.EVAL_READ, ANY if read is None else str(read))


def open_digit() -> None:
    """The gallery's on_select: open the digit clicked."""
    click = click_of(Key.EVAL_GALLERY, Key.EVAL_GALLERY_SEEN, clickable.DIGIT, clickable.DIGIT_FIELDS)
    if click is not None:
        state.put(Key.EVAL_OPEN, click[0])


def close_digit() -> None:
    state.put(Key.EVAL_OPEN, None)


def outlined(true: int | None, read: int | None) -> np.ndarray:
    """(10, 10) bool: the off-diagonal cells whose mistakes the gallery shows; none when it shows all."""
    cells = ~np.eye(10, dtype=bool)
    if true is None and read is None:
        return np.zeros((10, 10), bool)
    rows = np.arange(10)[:, None] == true if true is not None else True
    cols = np.arange(10)[None, :] == read if read is not None else True
    return cells & rows & cols


def matrix_view(model: ModelChoice, matrix: np.ndarray, shown: tuple[int | None, int | None]) -> None:
    st.markdown(f"#### {t('evaluate.matrix')}")
    title = t("evaluate.title", model=display_name(model.name), right=int(np.trace(matrix)), total=int(matrix.sum()))
    event = clickable.matrix_chart(matrix, outlined(*shown), title=title, key=Key.EVAL_MATRIX, on_select=choose_cell)
    # What the browser holds now, which the next click changes (a chart drawn anew holds nothing).
    state.put(Key.EVAL_MATRIX_SEEN, clickable.selected(event["selection"].get(clickable.CELL), clickable.CELL_FIELDS))
    st.caption(t("evaluate.matrix_hint"))


def digit_option(any_digit: str, value: str) -> str:
    return any_digit if value == ANY else value


def cell_selectboxes() -> None:
    """The keyboard's way to choose a cell; the matrix's click moves them. "Any" is translated here, in
    the run: a format function may be called after it, where the session's language is not known."""
    option = functools.partial(digit_option, t("evaluate.any"))
    with st.container(horizontal=True, wrap=False):  # side by side on a phone too, where columns stack
        st.selectbox(t("evaluate.true"), DIGITS, key=Key.EVAL_TRUE, format_func=option, width="stretch")
        st.selectbox(t("evaluate.read"), DIGITS, key=Key.EVAL_READ, format_func=option, width="stretch")


def tile_texts(mistakes: evaluation.Mistakes) -> tuple[list[str], list[str]]:
    """Each digit's caption ("3→5 97%") and the sentence its tooltip and a screen reader say."""
    captions, labels = [], []
    for i, true, read, confidence in zip(mistakes.index, mistakes.true, mistakes.predicted, mistakes.confidence):
        values = {"true": int(true), "predicted": int(read), "percent": f"{100 * confidence:.0f}"}
        captions.append(t("evaluate.caption", **values))
        labels.append(t("evaluate.tile", index=int(i), **values))
    return captions, labels


def mistakes_gallery(x_test: np.ndarray, mistakes: evaluation.Mistakes) -> None:
    st.markdown(f"#### {t('evaluate.mistakes')}")
    cell_selectboxes()
    if not len(mistakes):
        st.caption(t("evaluate.none_wrong"))
        return
    presenting = bool(state.get(Key.PRESENTER))
    cols = COLS[presenting]
    shown = mistakes.take(slice(0, GALLERY))
    captions, labels = tile_texts(shown)
    event = clickable.gallery_chart(x_test[shown.index], shown.index, captions, labels, cols=cols, tile=clickable.TILE[presenting],
                                    key=Key.EVAL_GALLERY, on_select=open_digit)  # fmt: skip
    state.put(Key.EVAL_GALLERY_SEEN, clickable.selected(event["selection"].get(clickable.DIGIT), clickable.DIGIT_FIELDS))
    st.caption(t("evaluate.gallery_hint", shown=len(shown), total=len(mistakes)))
    st.caption(t("evaluate.indices", indices=", ".join(str(int(i)) for i in shown.index)))


def show_digit(index: int, x: np.ndarray, label: int, probs: np.ndarray) -> None:
    """The opened digit: large, its verdict, its ten probabilities (the true label's bar green)."""
    left, right = st.columns([2, 3], vertical_alignment="center")
    left.image(pixels(x.reshape(28, 28), 224), width=224, alt=t("test.caption", index=index))
    with right:
        cards.test_result(index, label, int(probs.argmax()))
    probability_chart(probs, true_label=label, height=220)


def opened_digit(x_test: np.ndarray, y_test: np.ndarray, probs: np.ndarray) -> None:
    """The digit opened from the gallery, in a dialog that closing forgets (its title in the session's language)."""
    index = state.get(Key.EVAL_OPEN)
    if index is None or not 0 <= index < len(y_test):
        return
    dialog = st.dialog(t("test.caption", index=index), width="medium", on_dismiss=close_digit)
    dialog(show_digit)(index, x_test[index], int(y_test[index]), probs[index])


def per_digit(matrix: np.ndarray) -> None:
    """Per-digit accuracy as one row, the digits across: short enough to keep the matrix and the mistakes close."""
    st.markdown(f"#### {t('evaluate.per_digit')}")
    digits = [str(d) for d in range(10)]
    frame = pd.DataFrame([100 * evaluation.per_class_accuracy(matrix)], columns=digits, index=[t("evaluate.accuracy")])
    st.dataframe(frame, column_config={d: st.column_config.NumberColumn(format="%.1f%%") for d in digits})


def second_model(model: ModelChoice, probs: np.ndarray, x_test: np.ndarray, y_test: np.ndarray) -> None:
    others = {n: c for n, c in model_choices().items() if n != model.name}
    if not others:
        return
    st.markdown(f"#### {t('evaluate.compare')}")
    names = {n: display_name(n) for n in others}  # looked up now: see frame.header; never the internal id
    other = others[st.selectbox(t("evaluate.compare_with"), list(others), key=Key.EVAL_OTHER, format_func=names.get)]
    other_probs = test_probabilities(other.cache_id, other.model, x_test)
    result = evaluation.compare(probs, other_probs, y_test)
    st.markdown(t("evaluate.compared", a=display_name(model.name), a_right=result.right_a, b=display_name(other.name), b_right=result.right_b,
                  total=result.total, disagree=len(result.disagree)))  # fmt: skip
    shown = result.disagree[:GALLERY]
    captions = tuple(t("evaluate.disagree", true=int(y_test[i]), a=int(probs[i].argmax()), b=int(other_probs[i].argmax()))
                     for i in shown)  # fmt: skip
    if len(shown):
        st.image(gallery_png(x_test[shown], captions), width="stretch", alt="; ".join(captions))


def render() -> None:
    model = active_model()
    data = require_data("evaluate") if model is not None else None
    if model is None or data is None:
        return
    x_test, y_test = data.split.x_test, data.split.y_test
    probs = test_probabilities(model.cache_id, model.model, x_test)
    matrix, shown = evaluation.confusion(probs, y_test), shown_cell()
    left, right = st.columns([5, 4], gap="large")
    with left:
        matrix_view(model, matrix, shown)
    with right:
        mistakes_gallery(x_test, evaluation.in_cell(evaluation.errors(probs, y_test), *shown))
    per_digit(matrix)
    second_model(model, probs, x_test, y_test)
    opened_digit(x_test, y_test, probs)
