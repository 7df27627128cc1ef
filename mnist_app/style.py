"""The page's CSS, kept in style/*.css: the base look, presenter mode and Korean line breaking on top of
it; and the page's
language, which Streamlit leaves at `<html lang="en">` whatever the session speaks.

`<html lang>` tells a screen reader which voice to read the page with and the browser whether to
offer a translation, so a small invisible component (Components v2: it runs in the page itself, not in
an iframe) sets it to the session's language. The same script hides Material icons' names from screen
readers: Streamlit writes an icon as a span holding its name ("keyboard_arrow_down"), which a screen
reader otherwise reads out as words beside the button's own label. And it lets a keyboard reach a code
block that scrolls (presenter mode caps the lesson's code to the screen), as it can reach the page.
"""

from __future__ import annotations

import functools
from pathlib import Path

import streamlit as st

from . import state
from .state import Key

FOLDER = Path(__file__).resolve().parent / "style"

_JS = """
const ICONS = '[data-testid="stIconMaterial"]:not([aria-hidden])';
const CODE = '[data-testid="stCode"] pre:not([tabindex])';
function quiet(root) {
  for (const icon of root.querySelectorAll(ICONS)) icon.setAttribute('aria-hidden', 'true');
  for (const pre of root.querySelectorAll(CODE)) pre.tabIndex = 0;
}
const page = window.mnistPage ??= {};  // one observer per page, however often this module loads
if (!page.observer) {
  page.observer = new MutationObserver(() => quiet(document));
  page.observer.observe(document.body, {childList: true, subtree: true});
}
export default function ({ data }) {
  document.documentElement.lang = data.lang;
  quiet(document);
}
"""

_page = st.components.v2.component("mnist_app.page", html="<span hidden></span>", js=_JS, isolate_styles=False)


@functools.cache
def css(name: str) -> str:
    return (FOLDER / f"{name}.css").read_text(encoding="utf-8")


def apply(presenter: bool) -> None:
    sheets = ["base", "presenter"] if presenter else ["base"]
    if state.get(Key.LANG) == "ko":
        sheets.append("ko")
    st.html("<style>" + "\n".join(css(s) for s in sheets) + "</style>")
    with st.container(key="page_lang"):  # hidden by base.css; its script runs all the same
        _page(data={"lang": state.get(Key.LANG)})
