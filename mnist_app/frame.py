"""The page's frame: the URL that holds the view, the header (title, sections, language, presenter
mode), one-time notices, and the guard that turns a section's unexpected error into one line.

The header is drawn without torch (app.py): the active model's line, which needs its checkpoint read,
is written into its place in the header later in the run, after the canvas (`active_model_line`).
"""

from __future__ import annotations

import logging
from typing import Callable, TypeVar

import streamlit as st

from . import presenter_access, state
from .i18n import LANGUAGES, from_locale, t
from .state import OWN_MODEL, SECTIONS, Key

logger = logging.getLogger(__name__)
TRUE_WORDS = ("1", "true", "yes", "on")
MAX_INDEX_DIGITS = 6  # the largest index is 69999; int() of a 5000-digit string raises (Python's 4300-digit limit)
MAX_MODEL_CHARS = 40  # a checkpoint name's limit (mnist_core.checkpoints.check_name)
T = TypeVar("T")


def read_url() -> None:
    """Once per session: the view the URL asks for (?lang=ko&section=test&index=2018&model=tutorial&presenter=1)."""
    if state.get(Key.URL_READ):
        return
    query = st.query_params
    lang = query.get("lang")
    state.put(Key.LANG, lang if lang in LANGUAGES else from_locale(st.context.locale))
    if query.get("section") in SECTIONS:
        state.put(Key.SECTION, query["section"])
    index = url_number(query.get("index"), MAX_INDEX_DIGITS)
    if index is not None:
        state.put(Key.TEST_INDEX, index)  # an index past the end is clamped by the test images' section
    if query.get("model") and len(query["model"]) <= MAX_MODEL_CHARS:
        state.put(Key.ACTIVE, query["model"])  # an unknown name falls back to the default model
    state.put(Key.PRESENTER, (query.get("presenter") or "").lower() in TRUE_WORDS)
    # Joined through the presenter's card: the page follows the presenter. A page opened otherwise
    # (a bookmark, someone at home) stays where it is until "follow the presenter" is pressed.
    state.put(Key.FOLLOWING, (query.get("follow") or "").lower() in TRUE_WORDS)
    if query.get("key"):
        if presenter_access.unlock(query["key"]):  # read once and never written back into the URL
            state.put(Key.FLASH, ("success", "presenter.welcome", {"hours": presenter_access.PASS_S // 3600}))
        elif not state.get(Key.FLASH):  # not locked out (that says so already): plainly wrong
            state.put(Key.FLASH, ("error", "presenter.wrong_key", {}))
    state.put(Key.URL_READ, True)


def url_number(text: str | None, max_digits: int) -> int | None:
    """A URL parameter as a number if it is 1 to `max_digits` ASCII digits, else None: `str.isdigit`
    also accepts "²" and "٣", which `int` then refuses or reads as a digit nobody typed."""
    if not text or len(text) > max_digits or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def write_url() -> None:
    """After every run: the URL says what is on screen, so it can be bookmarked."""
    wanted = {"lang": state.get(Key.LANG), "section": state.get(Key.SECTION)}
    if wanted["section"] == "test":
        wanted["index"] = str(state.get(Key.TEST_INDEX))
    if state.get(Key.ACTIVE) not in (None, OWN_MODEL):
        wanted["model"] = state.get(Key.ACTIVE)
    if state.get(Key.PRESENTER):
        wanted["presenter"] = "1"
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def display_name(name: str) -> str:
    """A model's name on the page: a checkpoint's own name, or "the model I trained" in the session's
    language (never the internal OWN_MODEL; i18n.t renames it too, wherever it is passed)."""
    return t("model.own") if name == OWN_MODEL else name


def listed_name(name: str) -> str:
    """A model's name in lists and the header, where an unsaved one says so."""
    return f"{display_name(name)} ({t('model.unsaved')})" if name == OWN_MODEL else name


def model_label(choice) -> str:
    name = listed_name(choice.name)
    if choice.accuracy is None:
        return f"{name} · {choice.architecture}"
    return t("model.label", name=name, architecture=choice.architecture, accuracy=f"{100 * choice.accuracy:.2f}")


def header():
    """The title, the sections, language and presenter mode; returns the empty place of the active model's line."""
    # Labels are looked up now, not in format_func: Streamlit may call format_func outside the run.
    sections = {s: t(f"section.{s}") for s in SECTIONS}
    with st.container(horizontal=True, vertical_alignment="center", gap="medium", key="header"):
        st.markdown(f'<div class="app-title" role="heading" aria-level="1">{t("app.title")}</div>', unsafe_allow_html=True)
        st.segmented_control(
            t("nav.label"), SECTIONS, key=Key.SECTION, required=True, label_visibility="collapsed", format_func=sections.get,
        )  # fmt: skip
        languages = {code: t(f"languages.{code}") for code in LANGUAGES}
        st.segmented_control(
            t("nav.language"), LANGUAGES, key=Key.LANG, required=True, label_visibility="collapsed", format_func=languages.get,
        )  # fmt: skip
        st.toggle(t("nav.presenter"), key=Key.PRESENTER)
    line = st.container(key="active_model")
    flash = state.get(Key.FLASH)
    if flash:
        state.put(Key.FLASH, None)
        level, key, values = flash
        (st.success if level == "success" else st.error)(t(key, **values))
    return line


def active_model_line(line) -> None:
    """The active model, in the place `header` kept for it."""
    from .catalogue import active_model  # torch, and every checkpoint read: after the canvas is on screen

    model = active_model()
    with line:
        st.caption(t("header.active", model=model_label(model)) if model else t("header.no_model"))


def guarded(name: str, render: Callable[[], T]) -> T | None:
    """Run one section; an unexpected error becomes one line on the page, its traceback goes to the log."""
    try:
        return render()
    except Exception:  # Streamlit's rerun and stop signals are BaseExceptions and pass through
        logger.exception("section %s failed", name)
        st.error(t("error.section"))
