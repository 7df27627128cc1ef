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

This file is read twice. `streamlit run app.py` imports it to find `app`, an `st.App` (Streamlit's
ASGI server for this same file), whose lifespan warms the server before it opens: the data, the
default model and its test predictions, and every section's module with torch, pandas, scikit-learn
and matplotlib (4 s of imports on 2 shared cores), so the first visitor waits for none of them
(mnist_app/warmup.py). Then each session runs it as `__main__`, the page. Even so, the header and the
canvas are drawn by modules that import none of those libraries, and the answer beside the canvas
imports them after it.
"""

from __future__ import annotations

import logging
import os

# Before torch loads: OpenMP threads that sleep when idle instead of spinning. The web server only
# predicts; its spinning threads would take the cores from the training workers and from the other
# sessions' script runs (measured on 2 cores with one other busy core: an epoch of the tutorial took
# 19.2 s beside spinning threads, 3.2 s beside sleeping ones). The workers drop this (worker.spawn).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import streamlit as st  # noqa: E402

from mnist_app import follow, frame, sections, state, style, training, warmup  # noqa: E402
from mnist_app.components import identity  # noqa: E402
from mnist_app.i18n import t  # noqa: E402
from mnist_app.state import Key  # noqa: E402

_log = logging.getLogger("mnist_app")
_log.setLevel(logging.INFO)
if not _log.handlers:  # Streamlit configures its own loggers only: without this, "warm (N s)" is never printed
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    _log.addHandler(_handler)


def main() -> None:
    state.init()
    frame.read_url()
    follow.start_of_run()  # a follower takes the presenter's position before any widget is drawn
    st.set_page_config(page_title=t("app.page_title"), page_icon="✏️", layout="wide")
    style.apply(presenter=state.get(Key.PRESENTER))
    identity.sync()
    training.collect()
    line = frame.guarded("header", frame.header)
    with st.container(key="room_sync"):  # the presenter's controls; a participant's following and question
        follow.room_sync()
    with st.container(key="banner"):  # always there: the canvas below keeps its place in the page
        training.banner()
    section = state.get(Key.SECTION)
    frame.guarded("draw", lambda: sections.module("draw").render(visible=section == "draw"))  # always: see sections/draw.py
    if line is not None:
        frame.guarded("header", lambda: frame.active_model_line(line))  # torch: after the canvas
    if section != "draw":
        with st.container(key=f"section_{section}"):
            sections.render(section)
    follow.publish()
    frame.write_url()


if __name__ == "__main__":  # a session's run of the page
    main()
else:  # `streamlit run app.py` imports this file to find `app`: the server, warming up before its first visitor
    from streamlit import config

    from mnist_app import presence_route

    # The participants' poll of the presenter's row: plain HTTP, no script run (mnist_app/presence_route.py).
    app = st.App(__file__, lifespan=warmup.lifespan, routes=presence_route.routes(base=config.get_option("server.baseUrlPath")))
