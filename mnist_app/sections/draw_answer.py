"""The Draw section's right-hand side: the network's answer to the drawing and the stages the drawing
goes through on its way in (ink, crop, the 28x28 input).

Apart from `draw` because it needs torch, the model and pandas: `draw.render` imports it after the
canvas is on screen, so a fresh server's first visitor can start drawing while these load.
"""

from __future__ import annotations

import base64
import html
import io

import numpy as np
import streamlit as st
from PIL import Image

from mnist_core.preprocess import Prepared, Problem, prepare

from .. import feedback
from ..catalogue import ModelChoice, active_model
from ..components import cards
from ..components.charts import probability_chart
from ..components.pictures import pixels
from ..frame import display_name
from ..i18n import t
from ..resources import predict
from ..settings import UNSURE_BELOW


def read(image: np.ndarray | None, model: ModelChoice) -> tuple[Prepared | None, np.ndarray | None]:
    """A canvas picture -> its preprocessing stages and, unless there is nothing to read, probabilities (10,)."""
    if image is None:
        return None, None
    prepared = prepare(image, polarity="light")  # the canvas draws white ink on black
    return prepared, None if prepared.empty else predict(model.model, prepared.flat[None])[0]


def answer(prepared: Prepared | None, probs: np.ndarray | None, model: ModelChoice, strokes: int, image=None) -> None:
    if probs is None:
        problem = None if prepared is None else prepared.problem
        if problem in (None, Problem.EMPTY):
            feedback.forget()  # a cleared canvas: the next drawing is a new one, even if it looks the same
            cards.prompt(t("draw.prompt"))
        else:
            st.warning(t(f"draw.problem.{problem.value}"))
        return
    digit = int(probs.argmax())
    name = display_name(model.name)
    if probs[digit] < UNSURE_BELOW:
        cards.unsure(probs, name, strokes)
    else:
        cards.prediction(digit, float(probs[digit]), name, strokes)
    feedback.offer(prepared.digit, probs, model.name, image)  # right? or which digit was meant: into the room
    feedback.show_error()
    probability_chart(probs, height=220)


def stages(prepared: Prepared | None) -> None:
    """The drawing on its way in: cropped to the digit, then the 28x28 picture the network receives.

    One element with both pictures, not a heading and two st.image: each element is a message of its
    own through the websocket and the server's event loop, and a stroke's run sends about twenty."""
    if prepared is None or prepared.problem is Problem.EMPTY:
        return
    caption = t("draw.input_thinned" if prepared.thinned else "draw.input")  # a marker's strokes: thinned
    pictures = _figure(pixels(prepared.crop, 112), t("draw.crop"), "crop") + _figure(pixels(prepared.digit, 168), caption, "input")
    st.markdown(f'<div class="stages"><p><b>{html.escape(t("draw.stages"))}</b></p>{pictures}</div>', unsafe_allow_html=True)


def _figure(picture: np.ndarray, caption: str, name: str) -> str:
    side, text = picture.shape[1], html.escape(caption)
    return (f'<figure class="stage stage-{name}"><img src="{png_url(picture)}" width="{side}" height="{side}" alt="{text}">'
            f"<figcaption>{text}</figcaption></figure>")  # fmt: skip


def png_url(picture: np.ndarray) -> str:
    """A small grey picture as a PNG data URL, inside the page's own markup. Through st.image an array
    would go through Streamlit's media files: encoded with its slower settings, stored, and fetched by
    the browser in two more requests per stroke (the two pictures were 9% of a stroke's run, issue 25)."""
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG", compress_level=1)  # 1-2 kB either way: blocks of one grey
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def show(image: np.ndarray | None, strokes: int, middle, right, refused: str | None = None) -> None:
    """The answer in the `middle` column, the stages in the `right` one; for a picture the canvas
    refused (`canvas.Refused.code`), one line instead."""
    if refused is not None:
        middle.warning(t(f"draw.picture_{refused}"))
        return
    model = active_model()
    if model is None:
        middle.error(t("model.none"))
        return
    prepared, probs = read(image, model)
    with middle:
        answer(prepared, probs, model, strokes, image)
    with right:
        stages(prepared)
