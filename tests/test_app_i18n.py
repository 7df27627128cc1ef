"""Korean and English: the two catalogues agree, and no section shows a string that is in neither.

The second check renders every section with a pseudo-language whose every string is wrapped in
⟦ ⟧; what the page shows outside those brackets, letters of any alphabet, came from no catalogue.
"""

from __future__ import annotations

import re
import string

import pytest

from helpers_app import ONE, draw, open_section, train_tiny, visible_texts
from mnist_app import i18n
from mnist_app.state import SECTIONS, Key

FIELDS = string.Formatter()
INNERMOST = re.compile(r"⟦[^⟦⟧]*⟧")
LETTERS = re.compile(r"[A-Za-z가-힣]")
# Data, not interface text: model names and architectures in the model list and at the prediction.
DATA = re.compile(r"\b(tutorial|wide|784(-\d+)+|dropout)\b")


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in FIELDS.parse(text) if name is not None}


def test_the_catalogues_have_the_same_keys_and_fields():
    ko, en = i18n.CATALOGUES["ko"], i18n.CATALOGUES["en"]
    assert ko.keys() == en.keys(), sorted(ko.keys() ^ en.keys())
    for key in ko:
        assert fields(ko[key]) == fields(en[key]), key
        assert ko[key].strip() and en[key].strip(), key


def test_korean_is_korean_and_uses_the_classrooms_words():
    ko = i18n.CATALOGUES["ko"]
    hangul = [k for k, v in ko.items() if re.search("[가-힣]", v)]
    assert len(hangul) > 0.9 * len(ko)  # the rest: the language's own name, a source's proper name, a field alone
    text = " ".join(ko.values())
    for word in ("다층 퍼셉트론", "은닉층", "정확도", "학습", "예측", "테스트 이미지", "에포크", "학습률"):
        assert word in text, word


@pytest.mark.parametrize("lang, expected", [("ko-KR", "ko"), ("en-US", "en"), ("en", "en"), ("fr-FR", "ko"), (None, "ko"), ("", "ko")])
def test_the_browser_locale_chooses_the_language(lang, expected):
    assert i18n.from_locale(lang) == expected


@pytest.fixture
def pseudo(monkeypatch):
    """A language whose every string is bracketed: ⟦...⟧."""
    wrapped = {key: f"⟦{value}⟧" for key, value in i18n.CATALOGUES["en"].items()}
    monkeypatch.setitem(i18n.CATALOGUES, "en", wrapped)
    return wrapped


def uncatalogued(at) -> list[str]:
    found = []
    for text in visible_texts(at):
        rest = text
        while INNERMOST.search(rest):  # brackets nest where a string is filled into another
            rest = INNERMOST.sub(" ", rest)
        if LETTERS.search(DATA.sub(" ", rest)):
            found.append(text)
    return found


def test_the_pseudo_language_check_catches_a_plain_string(app_test, no_data, pseudo):
    pseudo["draw.prompt"] = "Draw here"  # as if the section wrote it without the catalogue
    assert [text.strip() for text in uncatalogued(app_test("en"))] == ["Draw here"]


@pytest.mark.parametrize("section", SECTIONS)
def test_no_section_shows_a_string_outside_the_catalogues(app_test, tiny_data, pseudo, section):
    at = open_section(app_test("en"), section)
    if section == "draw":
        at = draw(at, ONE)
    if section == "train":
        at = train_tiny(at)  # the progress, the metrics, the curves and the save form too
    assert not at.exception
    assert uncatalogued(at) == []
    assert at.session_state[Key.SECTION] == section
