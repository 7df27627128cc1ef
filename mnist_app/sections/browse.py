"""Test images: the seed split's 10000 test digits by index (2018 first, as in the tutorial), one by
one or only the misclassified ones, each with the active model's answer and its probabilities."""

from __future__ import annotations

import numpy as np
import streamlit as st

from .. import state
from ..catalogue import ModelChoice, active_model
from ..components import cards
from ..components.charts import probability_chart
from ..components.pictures import pixels
from ..frame import display_name
from ..i18n import t
from ..resources import require_data, test_probabilities
from ..state import Key


def clamp(n: int) -> None:
    """Out-of-range indices (typed, or from a URL) land on the nearest image instead of being refused,
    and the field says which: it has no bounds of Streamlit's, which would keep a typed -1 in the field
    (red, with an English tooltip) while the page showed another image."""
    state.put(Key.TEST_INDEX, int(np.clip(state.get(Key.TEST_INDEX) or 0, 0, n - 1)))


def step(delta: int, n: int, wrong: np.ndarray) -> None:
    """Previous/Next: one image, or with "only misclassified" the previous/next misclassified one (wrapping)."""
    i = int(state.get(Key.TEST_INDEX))
    if not state.get(Key.TEST_ONLY_WRONG):
        state.put(Key.TEST_INDEX, int(np.clip(i + delta, 0, n - 1)))
    elif len(wrong):
        pos = np.searchsorted(wrong, i, side="right") if delta > 0 else np.searchsorted(wrong, i, side="left") - 1
        state.put(Key.TEST_INDEX, int(wrong[pos % len(wrong)]))


def jump_to_wrong(wrong: np.ndarray) -> None:
    """Turning "only misclassified" on moves to the first misclassified image from the current one."""
    i = int(state.get(Key.TEST_INDEX))
    if state.get(Key.TEST_ONLY_WRONG) and len(wrong) and i not in set(wrong.tolist()):
        state.put(Key.TEST_INDEX, int(wrong[np.searchsorted(wrong, i) % len(wrong)]))


def controls(n: int, wrong: np.ndarray) -> int:
    clamp(n)
    c = st.columns([3, 2, 2, 4], vertical_alignment="bottom")
    c[0].number_input(t("test.index", last=n - 1), step=1, key=Key.TEST_INDEX, on_change=clamp, args=(n,))
    c[1].button(t("test.previous"), key="test_prev", on_click=step, args=(-1, n, wrong), icon=":material/arrow_back:", width="stretch")
    c[2].button(t("test.next"), key="test_next", on_click=step, args=(1, n, wrong), icon=":material/arrow_forward:", width="stretch")
    c[3].toggle(t("test.only_wrong", n=len(wrong)), key=Key.TEST_ONLY_WRONG, on_change=jump_to_wrong, args=(wrong,))
    return int(state.get(Key.TEST_INDEX))


def show(index: int, x: np.ndarray, label: int, probs: np.ndarray) -> None:
    left, right = st.columns([2, 3], gap="large")
    left.image(pixels(x.reshape(28, 28), 280), caption=t("test.caption", index=index), width=280, alt=t("test.caption", index=index))
    with right:
        cards.test_result(index, label, int(probs.argmax()))
        probability_chart(probs, true_label=label, height=220)


def summary(model: ModelChoice, n: int, wrong: int) -> None:
    name = display_name(model.name)
    st.markdown(t("test.summary", n=n, model=name, right=n - wrong, percent=f"{100 * (1 - wrong / n):.2f}", wrong=wrong))


def render() -> None:
    model = active_model()
    if model is None:
        st.error(t("model.none"))
        return
    data = require_data("test")
    if data is None:
        return
    x_test, y_test = data.split.x_test, data.split.y_test
    with st.spinner(t("test.classifying")):
        probs = test_probabilities(model.cache_id, model.model, x_test)
    wrong = np.flatnonzero(probs.argmax(1) != y_test)
    summary(model, len(y_test), len(wrong))
    index = controls(len(y_test), wrong)
    show(index, x_test[index], int(y_test[index]), probs[index])
