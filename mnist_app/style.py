"""The page's CSS, kept in style/*.css: the base look, and presenter mode on top of it."""

from __future__ import annotations

import functools
from pathlib import Path

import streamlit as st

FOLDER = Path(__file__).resolve().parent / "style"


@functools.cache
def css(name: str) -> str:
    return (FOLDER / f"{name}.css").read_text(encoding="utf-8")


def apply(presenter: bool) -> None:
    sheets = ["base", "presenter"] if presenter else ["base"]
    st.html("<style>" + "\n".join(css(s) for s in sheets) + "</style>")
