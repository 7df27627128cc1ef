"""One module per section of the page; each has a `render()`.

Imported when first opened (`module`), not with app.py: their libraries (torch, pandas, scikit-learn,
matplotlib) would keep a fresh server's first visitor from the canvas for seconds.
"""

from __future__ import annotations

import importlib
from types import ModuleType

import streamlit as st

from ..frame import guarded

MODULES = {
    "draw": "draw", "lesson": "lesson", "test": "browse", "evaluate": "evaluate", "inside": "inside",
    "train": "train", "data": "data", "model": "model", "room": "room", "board": "board",
}  # fmt: skip


def module(section: str) -> ModuleType:
    """The module of a section id (`state.SECTIONS`), imported the first time it is asked for."""
    return importlib.import_module(f"{__name__}.{MODULES[section]}")


# Sections whose clicks rerun the section alone, not the page around it (header, hidden canvas,
# banner): what their clicks change is in the section, and a whole page is 44 messages to redraw
# for a click on the confusion matrix (bench/bench_views.py; docs/benchmarks.md has the figures).
ALONE = frozenset({"lesson", "evaluate", "inside"})


@st.fragment
def _alone(section: str) -> None:
    from ..follow import publish

    guarded(section, lambda: module(section).render())
    publish()  # a click here reruns this fragment alone: the presenter's lesson step is published from here


def render(section: str) -> None:
    """Draw a section other than Draw; an unexpected error becomes one line (`frame.guarded`)."""
    if section in ALONE:
        _alone(section)
    else:
        guarded(section, lambda: module(section).render())
