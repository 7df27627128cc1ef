"""`streamlit run app.py`: the tutorial's multilayer perceptron learning MNIST, as a live demo.

The tutorial "다층 퍼셉트론으로 MNIST 분류하기" for a room: draw a digit and see what the network
reads, browse the test images, train the network again from the page, look at the data and switch
between checkpoints. This file is the frame (page config, style, header, navigation); the sections
and everything they share live in `mnist_app`, the machine learning in `mnist_core`.

Navigation is a segmented control bound to `section` in the session state, not `st.navigation`
pages or `st.tabs`: its options are ids (`draw`, `test`, ...) shown in the session's language, so a
language switch keeps the section and the URL says `?section=test` in either language; only the open
section runs, so the data loads only when a section needs it; and it sits in the header, which
presenter mode keeps while it hides Streamlit's own.
"""

from __future__ import annotations

import logging
import os

# Before torch loads: OpenMP threads that sleep when idle instead of spinning. With spinning
# threads, a training that shares its cores with other sessions' script runs stalls (measured on 2
# cores with one other busy core: 19.2 s an epoch of the tutorial spinning, 3.2 s sleeping).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import streamlit as st  # noqa: E402

from mnist_app import frame, state, style, training, warmup  # noqa: E402
from mnist_app.i18n import t  # noqa: E402
from mnist_app.sections import data, draw, evaluate, inside, lesson, model, room, test_images, train  # noqa: E402
from mnist_app.state import Key  # noqa: E402

logging.getLogger("mnist_app").setLevel(logging.INFO)
SECTIONS = {
    "lesson": lesson.render, "test": test_images.render, "evaluate": evaluate.render, "inside": inside.render,
    "train": train.render, "data": data.render, "model": model.render, "room": room.render,
}  # fmt: skip


def main() -> None:
    state.init()
    frame.read_url()
    st.set_page_config(page_title=t("app.page_title"), page_icon="✏️", layout="wide")
    style.apply(presenter=state.get(Key.PRESENTER))
    training.collect()
    frame.guarded("header", frame.header)
    with st.container(key="banner"):  # always there: the canvas below keeps its place in the page
        training.banner()
    section = state.get(Key.SECTION)
    frame.guarded("draw", lambda: draw.render(visible=section == "draw"))  # always: see sections/draw.py
    if section != "draw":
        with st.container(key=f"section_{section}"):
            frame.guarded(section, SECTIONS[section])
    frame.write_url()
    warmup.start()  # the data and the test predictions, loaded while the first visitor looks around


main()
