"""Draw: a canvas, the network's answer right beside (on a phone: right under) it, and the stages the
drawing goes through on its way in (`draw_answer`).

The canvas is drawn on every run, hidden while another section is open: the browser keeps the same
canvas, so a drawing survives a visit to another section (a canvas not drawn in a run is unmounted,
and its strokes with it).

The canvas and its answer are one fragment: a stroke, a "right?" tap or a correction digit reruns
them alone, not the header, the room's line, the banner or the other sections. What a stroke can
change is all in here, and a whole page was half of a stroke's cost in the server (issue 25's
profile under 20 drawing sessions: 69% of the samples in the script, 42% of them in this section;
docs/benchmarks.md has the figures). A whole page's run (a click on the navigation, following the
presenter) runs the fragment too, so the canvas stays mounted.

Nothing here imports torch: on a fresh server, the first visitor's canvas is on screen before the
model loads (bench/bench_startup.py: importing torch alone takes 1.2 s on 2 cores).
"""

from __future__ import annotations

import streamlit as st

from ..components import canvas
from ..frame import guarded


def render(visible: bool = True) -> None:
    _area(visible)


@st.fragment
def _area(visible: bool) -> None:
    """The fragment: rerun alone with the `visible` of the page's last whole run (a section change is
    a whole run). Guarded inside: a fragment's own rerun does not pass through app.py's guard."""
    guarded("draw", lambda: _draw(visible))


def _draw(visible: bool) -> None:
    with st.container(key="draw_area"):
        left, middle, right = st.columns([4, 5, 3], gap="medium")  # drawing -> answer -> the network's view
        with left:
            image, strokes, refused = canvas.drawing(decode=visible)
        if not visible:
            st.html("<style>.st-key-draw_area {display: none;}</style>")
            return
        from . import draw_answer  # torch, the model, pandas: only now that the canvas is on screen

        draw_answer.show(image, strokes, middle, right, refused)
