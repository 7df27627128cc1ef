"""Evaluation: where the active model is wrong on the test images. The confusion matrix (scikit-learn's),
per-digit accuracy, the misclassified digits most confident first (filtered by a cell of the matrix),
and a second model beside it: how many each gets right, and the digits where they disagree."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from mnist_core import evaluation

from ..components import figures
from ..i18n import t
from ..models import ModelChoice, active_model, model_choices
from ..resources import require_data, test_probabilities
from ..state import OWN_MODEL

GALLERY = 24  # digits in a gallery: three rows of eight


@st.cache_data(show_spinner=False, max_entries=8)
def confusion_png(matrix: np.ndarray, title: str, xlabel: str, ylabel: str) -> bytes:
    return figures.to_png(figures.confusion_figure(matrix, title=title, xlabel=xlabel, ylabel=ylabel))


@st.cache_data(show_spinner=False, max_entries=16)
def gallery_png(images: np.ndarray, captions: tuple[str, ...]) -> bytes:
    return figures.to_png(figures.gallery_figure(images, list(captions), cols=8))


def name(choice: ModelChoice) -> str:
    return t("model.own") if choice.name == OWN_MODEL else choice.name


def mistakes_gallery(x_test: np.ndarray, mistakes: evaluation.Mistakes) -> None:
    if not len(mistakes):
        st.caption(t("evaluate.none_wrong"))
        return
    shown = slice(0, GALLERY)
    captions = tuple(t("evaluate.caption", true=int(a), predicted=int(b), percent=f"{100 * c:.0f}")
                     for a, b, c in zip(mistakes.true[shown], mistakes.predicted[shown], mistakes.confidence[shown]))  # fmt: skip
    st.image(gallery_png(x_test[mistakes.index[shown]], captions), width="stretch")
    st.caption(t("evaluate.indices", indices=", ".join(str(int(i)) for i in mistakes.index[shown])))


def cell_filter(mistakes: evaluation.Mistakes) -> evaluation.Mistakes:
    """A cell of the matrix: the true digit and the digit read, or all the mistakes."""
    c = st.columns(2)
    true = c[0].selectbox(t("evaluate.true"), ["*", *map(str, range(10))], key="evaluate_true")
    read = c[1].selectbox(t("evaluate.read"), ["*", *map(str, range(10))], key="evaluate_read")
    keep = np.ones(len(mistakes), bool)
    keep &= (mistakes.true == int(true)) if true != "*" else keep
    keep &= (mistakes.predicted == int(read)) if read != "*" else keep
    return evaluation.Mistakes(mistakes.index[keep], mistakes.true[keep], mistakes.predicted[keep], mistakes.confidence[keep])


def second_model(model: ModelChoice, probs: np.ndarray, x_test: np.ndarray, y_test: np.ndarray) -> None:
    others = {n: c for n, c in model_choices().items() if n != model.name}
    if not others:
        return
    st.markdown(f"#### {t('evaluate.compare')}")
    other = others[st.selectbox(t("evaluate.compare_with"), list(others), key="evaluate_other")]
    result = evaluation.compare(probs, test_probabilities(other.cache_id, other.model, x_test), y_test)
    st.markdown(t("evaluate.compared", a=name(model), a_right=result.right_a, b=name(other), b_right=result.right_b,
                  total=result.total, disagree=len(result.disagree)))  # fmt: skip
    shown = result.disagree[:GALLERY]
    other_probs = test_probabilities(other.cache_id, other.model, x_test)
    captions = tuple(t("evaluate.disagree", true=int(y_test[i]), a=int(probs[i].argmax()), b=int(other_probs[i].argmax())) for i in shown)
    if len(shown):
        st.image(gallery_png(x_test[shown], captions), width="stretch")


def render() -> None:
    model = active_model()
    data = require_data("evaluate") if model is not None else None
    if model is None or data is None:
        return
    x_test, y_test = data.split.x_test, data.split.y_test
    probs = test_probabilities(model.cache_id, model.model, x_test)
    matrix = evaluation.confusion(probs, y_test)
    left, right = st.columns([3, 2], gap="large")
    title = t("evaluate.title", model=name(model), right=int(np.trace(matrix)), total=int(matrix.sum()))
    left.image(confusion_png(matrix, title, t("evaluate.read"), t("evaluate.true")), width="stretch")
    per_digit = evaluation.per_class_accuracy(matrix)
    right.dataframe(pd.DataFrame({t("evaluate.digit"): list(range(10)), t("evaluate.accuracy"): 100 * per_digit}), hide_index=True,
                    column_config={t("evaluate.accuracy"): st.column_config.NumberColumn(format="%.2f%%")})  # fmt: skip
    st.markdown(f"#### {t('evaluate.mistakes')}")
    mistakes_gallery(x_test, cell_filter(evaluation.errors(probs, y_test)))
    second_model(model, probs, x_test, y_test)
