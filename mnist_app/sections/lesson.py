"""Lesson: the tutorial "다층 퍼셉트론으로 MNIST 분류하기" step by step, each step's code (Korean comments in
Korean, English in English) beside its result computed now and the tutorial's own numbers. The
training step uses the app's one training worker, so it waits its turn like any other training."""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from mnist_core import lesson
from mnist_core.lesson import TUTORIAL, accuracy_line
from mnist_core.train import evaluate, new_model

from .. import state, training
from ..catalogue import active_model
from ..components import figures
from ..frame import display_name
from ..i18n import language, t
from ..resources import Dataset, require_data, test_probabilities
from ..room import RoomError
from ..settings import TUTORIAL_MODEL, TUTORIAL_TRAIN
from ..state import OWN_MODEL, Key


def accuracy(correct: int, total: int) -> str:
    line = accuracy_line(correct, total)
    return t("lesson.accuracy_line", correct=line.correct, total=line.total, percent=line.percent)


@st.cache_data(show_spinner=False, max_entries=8)
def digit_png(x: np.ndarray, title: str) -> bytes:
    return figures.to_png(figures.digit_figure(x, title))


@st.cache_data(show_spinner=False, max_entries=4)
def gallery_png(images: np.ndarray, captions: tuple[str, ...]) -> bytes:
    return figures.to_png(figures.gallery_figure(images, list(captions), cols=8))


@st.cache_data(show_spinner=False)
def untrained(_x_test: np.ndarray, _y_test: np.ndarray, key: str) -> tuple[int, int]:
    """The freshly initialised tutorial network (seed 0) on the test images: (correct, total)."""
    result = evaluate(new_model(TUTORIAL_MODEL, TUTORIAL_TRAIN.seed, torch.device("cpu")).eval(), _x_test, _y_test, device=torch.device("cpu"))
    return result.correct, result.total


def step_load(data: Dataset) -> None:
    st.markdown(t("lesson.shapes", x=str(data.mnist.images.shape), y=str(data.mnist.labels.shape)))
    st.image(digit_png(data.mnist.images[0] / 255.0, "X[0]"), width=260, alt="X[0]")
    st.markdown(t("lesson.label_is", label=int(data.mnist.labels[0])))


def step_prepare(data: Dataset) -> None:
    st.markdown(t("lesson.split", train=len(data.split.y_train), test=len(data.split.y_test)))
    captions = tuple(str(int(v)) for v in data.split.y_train[:16])
    st.image(gallery_png(data.split.x_train[:16], captions), width=560, alt=", ".join(captions))


def step_model(data: Dataset) -> None:
    st.code(lesson.model_text(), language="text")
    st.markdown(t("lesson.parameters", n=f"{TUTORIAL.parameters:,}"))


def step_untrained(data: Dataset) -> None:
    correct, total = untrained(data.split.x_test, data.split.y_test, f"seed0-{len(data.split.y_test)}")
    st.markdown(t("lesson.now_vs_tutorial", now=accuracy(correct, total), tutorial=accuracy(TUTORIAL.untrained_correct, TUTORIAL.test_rows)))


def step_train(data: Dataset) -> None:
    job = training.current()
    running = job is not None and job.running
    if st.button(t("lesson.train"), key="lesson_train", type="primary", disabled=running, icon=":material/play_arrow:"):
        try:
            training.submit_lesson()
        except RoomError as e:
            st.error(t("train.cannot", reason=t(f"room.error.{e.code}")))
            return
        st.rerun()
    if job is not None:
        from .train import progress  # the Train section's live progress, curves and queue

        progress(job)


def trained_model():
    model = active_model()
    return model if model is not None and model.name == OWN_MODEL else None


def step_test(data: Dataset) -> None:
    model = trained_model()
    if model is None:
        st.info(t("lesson.train_first"))
        return
    after = model.metrics
    st.markdown(t("lesson.now_vs_tutorial", now=accuracy(after["correct"], after["total"]), tutorial=accuracy(TUTORIAL.trained_correct, TUTORIAL.test_rows)))


def step_predict(data: Dataset) -> None:
    model = active_model()
    i = TUTORIAL.predict_index
    probs = test_probabilities(model.cache_id, model.model, data.split.x_test)[i]
    st.image(digit_png(data.split.x_test[i], f"X_test[{i}]"), width=260, alt=f"X_test[{i}]")
    st.markdown(t("lesson.predicted", index=i, predicted=int(probs.argmax()), label=int(data.split.y_test[i]),
                  model=display_name(model.name)))  # fmt: skip


SHOW = {"load": step_load, "prepare": step_prepare, "model": step_model, "untrained": step_untrained,
        "train": step_train, "test": step_test, "predict": step_predict}  # fmt: skip


def move(delta: int) -> None:
    state.put(Key.LESSON_STEP, int(np.clip(state.get(Key.LESSON_STEP) + delta, 0, len(lesson.STEPS) - 1)))


def render() -> None:
    data = require_data("lesson")
    if data is None:
        return
    index = state.get(Key.LESSON_STEP)
    step = lesson.steps()[index]
    c = st.columns([1, 1, 5], vertical_alignment="center")
    c[0].button(t("lesson.previous"), key="lesson_prev", on_click=move, args=(-1,), disabled=index == 0, icon=":material/arrow_back:", width="stretch")
    c[1].button(t("lesson.next"), key="lesson_next", on_click=move, args=(1,), disabled=index == len(lesson.STEPS) - 1,
                icon=":material/arrow_forward:", width="stretch")  # fmt: skip
    c[2].markdown(f'<div class="lesson-title" data-step="{step.id}">{t("lesson.step", n=index + 1, total=len(lesson.STEPS))} · {t(f"lesson.steps.{step.id}")}</div>',
                  unsafe_allow_html=True)  # fmt: skip
    code, result = st.columns([1, 1], gap="large")
    code.code(step.code(language()), language="python", wrap_lines=True)
    with result:
        SHOW[step.id](data)
