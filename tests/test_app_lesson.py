"""The lesson and the look inside, through AppTest, in Korean and English (the evaluation: test_app_evaluate.py)."""

from __future__ import annotations

import re

import pytest

from helpers_app import (
    LANGS,
    ONE,
    T,
    assert_clean,
    draw,
    markdown_text,
    open_section,
    training_job,
    visible_texts,
    wait_for_training,
)
from mnist_app.state import OWN_MODEL, SECTIONS, Key
from mnist_core import lesson


def step_shown(at) -> str:
    found = re.search(r'class="lesson-title" data-step="(\w+)"', markdown_text(at))
    return found.group(1) if found else ""


@pytest.mark.parametrize("lang", LANGS)
def test_the_lesson_walks_the_tutorials_seven_steps(app_test, tiny_data, tiny_mnist, lang):
    at = open_section(app_test(lang), "lesson")
    assert_clean(at)
    seen = []
    for number, step in enumerate(lesson.STEPS):
        assert step_shown(at) == step
        assert at.code[0].value == lesson.step(step).code(lang)  # the tutorial's code, in this language
        seen.append(step)
        if step == "load":
            assert T(lang, "lesson.label_is", label=int(tiny_mnist.labels[0])) in markdown_text(at)
            assert len(at.get("image")) == 1  # X[0], drawn as the tutorial draws it
        if step == "model":
            assert at.code[1].value == lesson.model_text() and T(lang, "lesson.parameters", n="89,610") in markdown_text(at)
        if step == "untrained":
            assert "862/10000 (9%)" in markdown_text(at) and "/2020 (" in markdown_text(at)  # the tutorial's, and now
        if step == "train":
            at.button(key="lesson_train").click().run()
            at = wait_for_training(at)
            assert training_job(at).status == "finished"
        if step == "test":
            metrics = at.session_state[Key.TRAINED].metrics
            assert f"{metrics['correct']}/{metrics['total']}" in markdown_text(at)
            assert "9570/10000 (96%)" in markdown_text(at)
        if step == "predict":
            assert T(lang, "lesson.predicted", index=2018, predicted=int(at.session_state[Key.TRAINED].model(
                __import__("torch").from_numpy(tiny_data.x_test[2018:2019])).argmax()), label=int(tiny_data.y_test[2018]),
                model=T(lang, "model.own")) in markdown_text(at)  # fmt: skip
            assert OWN_MODEL not in markdown_text(at)  # named for people, never by its internal id
        if number < len(lesson.STEPS) - 1:
            at.button(key="lesson_next").click().run()
        assert_clean(at)
    assert seen == list(lesson.STEPS) and at.button(key="lesson_next").disabled
    at.button(key="lesson_prev").click().run()
    assert step_shown(at) == "test"
    for section in SECTIONS:  # the trained model is named for people everywhere, never by its internal id
        at = open_section(at, section)
        assert not [text for text in visible_texts(at) if OWN_MODEL in text], section


@pytest.mark.parametrize("lang", LANGS)
def test_inside_reads_the_drawing_and_the_bench_moves_it(app_test, tiny_data, lang, monkeypatch):
    monkeypatch.delenv("MNIST_CHECKPOINT_DIR")  # the shipped tutorial and best networks on the bench
    at = draw(app_test(lang), ONE)
    at = open_section(at, "inside")
    assert_clean(at)
    assert T(lang, "inside.your_drawing") in markdown_text(at) and "**1**" in markdown_text(at)
    pattern = re.escape(T(lang, "inside.layer", n=99, fired=98, size=97))
    for number, name in (("99", "n"), ("98", "fired"), ("97", "size")):  # in the order each language puts them
        pattern = pattern.replace(number, rf"(?P<{name}>\d+)")
    layers = [m.groupdict() for m in re.finditer(pattern, markdown_text(at))]
    assert [(m["n"], m["size"]) for m in layers] == [("1", "1024"), ("2", "1024")]  # the best network's two layers
    assert all(0 < int(m["fired"]) < 1024 for m in layers)
    assert T(lang, "inside.grid") in [c.value for c in at.caption]
    answers = dict(re.findall(r'class="bench-answer" data-model="([^"]+)" data-digit="(\d)"', markdown_text(at)))
    assert answers["best_mlp"] == "1" and answers["tutorial"] == "1" and len(answers) == 3
    at.slider(key="bench_dx").set_value(6).run()
    at.slider(key="bench_rotate").set_value(45).run()
    moved = dict(re.findall(r'class="bench-answer" data-model="([^"]+)" data-digit="(\d)"', markdown_text(at)))
    assert moved.keys() == answers.keys()
    assert_clean(at)
