"""The tutorial "다층 퍼셉트론으로 MNIST 분류하기" as a lesson: its seven steps' code, its published numbers,
its `print(model)` text and its accuracy line, for a page to show beside results computed now.

The code lives in `lesson_code/tutorial.ko.txt` and `tutorial.en.txt`, one whole program per language
cut into steps by `# %% <step>` lines, rather than in Python strings here: a translator edits one
readable program, and the tests run both files end to end and check that they differ in comments
and strings only. They are `.txt`, not `.py`, because they are content, not modules of this package:
they import pyplot as the tutorial does, and nothing should ever import, lint or collect them.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from torch import nn

from .config import ModelConfig
from .model import build_mlp

CODE_DIR = Path(__file__).resolve().parent / "lesson_code"
LANGUAGES = ("ko", "en")
STEPS = ("load", "prepare", "model", "untrained", "train", "test", "predict")
_MARKER = re.compile(r"^# %% (\w+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Reference:
    """The numbers the tutorial publishes, to show beside the ones computed now."""

    shape_x: tuple[int, int] = (70_000, 784)
    shape_y: tuple[int] = (70_000,)
    first_label: int = 5  # "이 이미지 데이터의 레이블은 5이다"
    train_rows: int = 60_000
    test_rows: int = 10_000
    parameters: int = 89_610  # 784*100+100 + 100*100+100 + 100*10+10
    untrained_correct: int = 862  # "862/10000 (9%)"
    trained_correct: int = 9_570  # "9570/10000 (96%)"
    epochs: int = 3
    predict_index: int = 2018


TUTORIAL = Reference()


@dataclass(frozen=True)
class AccuracyLine:
    """The numbers of the tutorial's line 'correct/total (percent%)'; the words are the page's."""

    correct: int
    total: int
    percent: int  # rounded as the tutorial's '{:.0f}' rounds: half to even (95.5 -> 96, 96.5 -> 96)


def accuracy_line(correct: int, total: int) -> AccuracyLine:
    if total <= 0 or not 0 <= correct <= total:
        raise ValueError(f"expected 0 <= correct <= total and total > 0, got {correct}/{total}")
    # round() and '{:.0f}' both round the float 100*correct/total half to even: the same digits.
    return AccuracyLine(int(correct), int(total), round(100.0 * correct / total))


def model_text(config: ModelConfig = ModelConfig()) -> str:
    """What the tutorial's `print(model)` prints, for this configuration's network."""
    return str(build_mlp(config))


def parameter_count(model: nn.Module) -> int:
    """Weights and biases to learn: 89610 for the tutorial's network."""
    return sum(p.numel() for p in model.parameters())


@dataclass(frozen=True)
class Step:
    """One step of the lesson: its id (one of STEPS) and its code, with Korean or English comments."""

    id: str
    code_ko: str
    code_en: str

    def code(self, language: str) -> str:
        if language not in LANGUAGES:
            raise ValueError(f"no lesson code in {language!r}: choose from {LANGUAGES}")
        return self.code_ko if language == "ko" else self.code_en


def split_steps(text: str) -> dict[str, str]:
    """A program cut by `# %% <step>` lines -> {step: its code, without the marker, stripped}."""
    parts = _MARKER.split(text)  # [before the first marker, name, code, name, code, ...]
    if parts[0].strip():
        raise ValueError("lesson code before the first '# %% <step>' line")
    return {name: code.strip("\n") for name, code in zip(parts[1::2], parts[2::2])}


@functools.cache
def steps() -> tuple[Step, ...]:
    """The seven steps in order; read once per process."""
    code = {lang: split_steps((CODE_DIR / f"tutorial.{lang}.txt").read_text(encoding="utf-8")) for lang in LANGUAGES}
    for lang, found in code.items():
        if tuple(found) != STEPS:
            raise ValueError(f"tutorial.{lang}.txt has steps {tuple(found)}, expected {STEPS}")
    return tuple(Step(s, code["ko"][s], code["en"][s]) for s in STEPS)


def step(step_id: str) -> Step:
    if step_id not in STEPS:
        raise ValueError(f"no lesson step {step_id!r}: choose from {STEPS}")
    return steps()[STEPS.index(step_id)]
