"""Draw: a canvas, the network's answer right beside (on a phone: right under) it, and the stages the
drawing goes through on its way in (`draw_answer`).

The canvas is drawn on every run, hidden while another section is open: the browser keeps the same
canvas, so a drawing survives a visit to another section (a canvas not drawn in a run is unmounted,
and its strokes with it).

Nothing here imports torch: on a fresh server, the first visitor's canvas is on screen before the
model loads (bench/bench_startup.py: importing torch alone takes 1.2 s on 2 cores).
"""

from __future__ import annotations

import streamlit as st

from ..components import canvas


def render(visible: bool = True) -> None:
    with st.container(key="draw_area"):
        left, middle, right = st.columns([4, 5, 3], gap="medium")  # drawing -> answer -> the network's view
        with left:
            image, strokes, refused = canvas.drawing(decode=visible)
        if not visible:
            st.html("<style>.st-key-draw_area {display: none;}</style>")
            return
        from . import draw_answer  # torch, the model, pandas: only now that the canvas is on screen

        draw_answer.show(image, strokes, middle, right, refused)
