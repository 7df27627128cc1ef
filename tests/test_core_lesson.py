"""mnist_core.lesson: the tutorial's print(model) text, its numbers, its accuracy line, and its code,
which must run as shown, in both languages, and differ between them in comments and strings only."""

from __future__ import annotations

import io
import re
import tokenize

import numpy as np
import pytest

from conftest import TINY_ROWS
from mnist_core import lesson
from mnist_core.config import ModelConfig
from mnist_core.model import build_mlp

# What the tutorial's page shows under print(model), copied from it.
TUTORIAL_PRINT_MODEL = (
    "Sequential(\n"
    "  (fc1): Linear(in_features=784, out_features=100, bias=True)\n"
    "  (relu1): ReLU()\n"
    "  (fc2): Linear(in_features=100, out_features=100, bias=True)\n"
    "  (relu2): ReLU()\n"
    "  (fc3): Linear(in_features=100, out_features=10, bias=True)\n"
    ")"
)
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def test_model_text_is_the_tutorials_print_model():
    assert lesson.model_text() == TUTORIAL_PRINT_MODEL
    wide = lesson.model_text(ModelConfig(hidden=(1024, 1024), dropout=0.1))
    assert "(dropout1): Dropout(p=0.1" in wide and "out_features=1024" in wide


def test_parameter_count():
    assert lesson.parameter_count(build_mlp(ModelConfig())) == lesson.TUTORIAL.parameters
    sizes = (784, 100, 100, 10)
    assert lesson.TUTORIAL.parameters == sum(a * b + b for a, b in zip(sizes, sizes[1:]))
    assert lesson.parameter_count(build_mlp(ModelConfig(hidden=(7,)))) == 784 * 7 + 7 + 7 * 10 + 10


def test_accuracy_line_rounds_as_the_tutorials_format():
    for total in (10_000, 7, 2020):
        for correct in range(total + 1):
            line = lesson.accuracy_line(correct, total)
            assert line.percent == int("{:.0f}".format(100.0 * correct / total)), (correct, total)
    ref = lesson.TUTORIAL
    assert lesson.accuracy_line(ref.untrained_correct, ref.test_rows).percent == 9
    assert lesson.accuracy_line(ref.trained_correct, ref.test_rows).percent == 96
    for bad in ((5, 0), (-1, 10), (11, 10)):
        with pytest.raises(ValueError):
            lesson.accuracy_line(*bad)


def test_seven_steps_in_order_in_both_languages():
    steps = lesson.steps()
    assert tuple(s.id for s in steps) == lesson.STEPS and len(steps) == 7
    for s in steps:
        assert s.code("ko") == s.code_ko and s.code("en") == s.code_en
        assert 0 < len(s.code_ko.splitlines()) <= 20, s.id  # short enough to read beside its result
        assert not s.code_ko.startswith("# %%") and "\n\n\n" not in s.code_ko
    assert lesson.step("model").id == "model"
    with pytest.raises(ValueError):
        lesson.step("nope")
    with pytest.raises(ValueError):
        steps[0].code("fr")


def comments_and_code(source: str) -> tuple[list[str], list[str]]:
    """(comments and string literals, every other token) of a program."""
    words, code = [], []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        (words if tok.type in (tokenize.COMMENT, tokenize.STRING) else code).append(tok.string)
    return words, code


def test_korean_and_english_differ_in_comments_and_strings_only():
    ko = "\n".join(s.code_ko for s in lesson.steps())
    en = "\n".join(s.code_en for s in lesson.steps())
    (ko_words, ko_code), (en_words, en_code) = comments_and_code(ko), comments_and_code(en)
    assert ko_code == en_code
    assert all(HANGUL.search(w) for w in ko_words if w.startswith("#"))  # every Korean comment is Korean
    assert not any(HANGUL.search(w) for w in en_words)


def test_the_code_says_the_tutorials_numbers():
    ref = lesson.TUTORIAL
    assert "test_size=1/7, random_state=0" in lesson.step("prepare").code_ko
    assert f"range({ref.epochs})" in lesson.step("train").code_ko
    assert f"index = {ref.predict_index}" in lesson.step("predict").code_ko
    assert "fetch_openml('mnist_784'" in lesson.step("load").code_ko
    assert "완료" in lesson.step("train").code_ko  # the tutorial's 'epoch0：완료'


def test_split_steps_refuses_code_outside_a_step():
    assert lesson.split_steps("# %% a\nx = 1\n\n# %% b\ny = 2\n") == {"a": "x = 1", "b": "y = 2"}
    with pytest.raises(ValueError):
        lesson.split_steps("import os\n# %% a\nx = 1\n")


@pytest.fixture
def fake_openml(tiny_mnist, monkeypatch):
    """fetch_openml('mnist_784') answered offline with the tiny synthetic digits, as OpenML serves them."""
    import sklearn.datasets
    from sklearn.utils import Bunch

    def fetch_openml(name, *, version, cache, as_frame):
        assert (name, version, cache, as_frame) == ("mnist_784", 1, True, False)
        return Bunch(data=tiny_mnist.images.astype(np.float64), target=tiny_mnist.labels.astype(str).astype(object))

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", fetch_openml)
    return tiny_mnist


@pytest.mark.parametrize("language", lesson.LANGUAGES)
def test_the_lesson_code_runs_as_shown(language, fake_openml, capsys):
    import matplotlib

    matplotlib.use("Agg")  # the code calls plt.imshow as the tutorial does; no window here
    import matplotlib.pyplot as plt
    import torch

    torch.manual_seed(0)
    program = "\n\n".join(s.code(language) for s in lesson.steps())
    threads = torch.get_num_threads()
    # One thread: on a busy 2-core machine two threads made this tiny network's epoch 16x slower.
    torch.set_num_threads(1)
    try:
        exec(compile(program, f"tutorial.{language}.txt", "exec"), {"__name__": "lesson"})
    finally:
        torch.set_num_threads(threads)
        plt.close("all")
    out = capsys.readouterr().out
    n_test = len(range(TINY_ROWS)[: round(TINY_ROWS / 7)])
    assert f"({TINY_ROWS}, 784) ({TINY_ROWS},)" in out
    assert f"{TINY_ROWS - n_test} {n_test}" in out
    assert lesson.model_text() in out
    lines = re.findall(r"(\d+)/(\d+) \((\d+)%\)", out)
    assert len(lines) == 2  # before and after training
    for correct, total, percent in lines:
        assert int(total) == n_test and lesson.accuracy_line(int(correct), int(total)).percent == int(percent)
    assert int(lines[1][0]) > int(lines[0][0])  # training helped
    assert len(re.findall(r"epoch\d", out)) == 3
