"""Inside: what the network has learned. The first layer's weights as 28x28 templates; for the current
drawing or a test image, each hidden layer's activations, the units that fire most with their templates,
how much the predicted digit's score owes to the last layer's units, and a saliency map; and a bench that
shifts, turns, scales, thickens or blurs the digit and shows the untrained, the tutorial's and the best
network answer it side by side."""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from mnist_core import inside
from mnist_core.experiment import transform_digit
from mnist_core.train import new_model

from .. import state
from ..catalogue import ModelChoice, active_model, model_choices
from ..components import maps
from ..components.charts import models_chart, signed_bars
from ..components.pictures import pixels
from ..frame import display_name
from ..i18n import t
from ..resources import predict, require_data
from ..settings import TUTORIAL_MODEL
from ..state import Key

PAGE = 50  # templates on a page


def plain(markdown: str) -> str:
    """A line of the catalogue without its Markdown emphasis: a picture's alternative text, read aloud."""
    return markdown.replace("**", "")


@st.cache_data(show_spinner=False, max_entries=16)
def templates_png(cache_id: str, _model, offset: int) -> bytes:
    """A page of first-layer templates, strongest first from `offset`, as PNG (cached: it is the same
    for everyone who pages through the same model)."""
    units = inside.strongest_units(_model, PAGE, offset)
    return maps.png(maps.templates_mosaic(inside.first_layer_templates(_model), units))


@st.cache_resource(show_spinner=False)  # shared by all sessions, never trained: only read
def untrained_network():
    """The tutorial's network, freshly initialised (seed 0): the bench's "before learning"."""
    return new_model(TUTORIAL_MODEL, 0, torch.device("cpu")).eval()


def the_digit(data) -> tuple[np.ndarray, str]:
    """The drawing on the Draw canvas if there is one, else a test image (2018 first)."""
    pending = state.get(Key.ROOM_PENDING)
    use_drawing = pending is not None and st.toggle(t("inside.use_drawing"), value=True, key="inside_drawing")
    if use_drawing:
        return pending["x28"].reshape(-1), t("inside.your_drawing")
    state.put(Key.INSIDE_INDEX, min(state.get(Key.INSIDE_INDEX), len(data.split.y_test) - 1))  # a presenter's index on a smaller set
    index = st.number_input(t("inside.test_index"), min_value=0, max_value=len(data.split.y_test) - 1, step=1, key=Key.INSIDE_INDEX)
    return data.split.x_test[index], t("test.caption", index=index)


def layers(model: ModelChoice, trace: inside.Trace) -> None:
    for i, hidden in enumerate(trace.hidden):
        fired = int((hidden > 0).sum())
        line = t("inside.layer", n=i + 1, fired=fired, size=len(hidden))
        st.markdown(line)
        st.image(maps.activation_grid(hidden), width=maps.GRID_WIDTH, alt=line)
    st.caption(t("inside.grid"))
    top = inside.top_units(trace, 0, 10)
    if len(top):
        st.markdown(t("inside.top_units"))
        st.image(maps.templates_picture(inside.first_layer_templates(model.model), top), width="stretch", alt=t("inside.top_units"))
        st.caption(t("inside.top_units_list", units=", ".join(str(int(u)) for u in top)))


def owed(model: ModelChoice, trace: inside.Trace) -> None:
    digit = trace.predicted
    parts = inside.contributions(model.model, trace)[digit]  # (H_last,)
    order = np.argsort(-np.abs(parts))[:12]
    st.markdown(t("inside.owed", digit=digit))
    signed_bars([str(u) for u in order], parts[order], name_title=t("inside.unit"), value_title=t("inside.share"))


# A fragment: moving a slider reruns the bench alone, not the figures above it (measured with
# bench/bench_views.py: a slider took 1.3 s to answer when it reran the whole section).
@st.fragment
def bench(x: np.ndarray) -> None:
    st.markdown(f"#### {t('inside.bench')}")
    c = st.columns(6)
    dx = c[0].slider(t("inside.dx"), -6, 6, 0, key="bench_dx")
    dy = c[1].slider(t("inside.dy"), -6, 6, 0, key="bench_dy")
    turn = c[2].slider(t("inside.rotate"), -45, 45, 0, step=5, key="bench_rotate")
    scale = c[3].slider(t("inside.scale"), 0.5, 1.5, 1.0, step=0.1, key="bench_scale")
    thick = c[4].slider(t("inside.thickness"), -2, 2, 0, key="bench_thick")
    noise = c[5].slider(t("inside.noise"), 0.0, 0.5, 0.0, step=0.05, key="bench_noise")
    moved = transform_digit(x, shift=(dx, dy), rotate_deg=turn, scale=scale, thickness=thick, noise=noise)
    models = {t("inside.untrained"): untrained_network()}
    models.update({n: c.model for n, c in model_choices().items() if n in ("tutorial", "best_mlp")})
    probs = {name: predict(network, moved.reshape(1, -1))[0] for name, network in models.items()}
    picture, answers = st.columns([1, 3], gap="medium")
    picture.image(pixels(moved, 224), width="stretch", alt=t("inside.bench"))
    with answers:
        st.markdown(" · ".join(f'<span class="bench-answer" data-model="{name}" data-digit="{int(p.argmax())}">'
                               f'{name}: <b>{int(p.argmax())}</b> ({100 * p.max():.0f}%)</span>' for name, p in probs.items()),
                    unsafe_allow_html=True)  # fmt: skip
        models_chart(probs, height=300)

def render() -> None:
    model = active_model()
    data = require_data("inside") if model is not None else None
    if model is None or data is None:
        return
    templates(model)
    digit_views(model, data)


# Fragments, like the bench below: paging the templates redraws them alone, and another digit
# redraws its views alone, not the page of templates above them (bench/bench_views.py).
@st.fragment
def templates(model: ModelChoice) -> None:
    hidden = model.model_config.hidden[0]
    offset = st.number_input(t("inside.page", units=hidden), min_value=0, max_value=max(0, hidden - 1), value=0, step=PAGE, key="inside_offset")
    line = t("inside.templates", model=display_name(model.name))
    st.markdown(line)
    st.image(templates_png(model.cache_id, model.model, int(offset)), width="stretch", alt=line)


@st.fragment
def digit_views(model: ModelChoice, data) -> None:
    from ..follow import publish

    x, what = the_digit(data)
    publish()  # another digit reruns this fragment alone: the presenter's Inside digit is published from here
    trace = inside.forward_trace(model.model, x)
    left, right = st.columns(2, gap="large")
    with left:
        line = t("inside.reads", what=what, digit=trace.predicted, percent=f"{100 * trace.probs.max():.0f}")
        st.markdown(line)
        st.image(maps.saliency_picture(x, inside.saliency(model.model, x, trace.predicted)), width="stretch", alt=plain(line))
        owed(model, trace)
    with right:
        layers(model, trace)
    bench(x.reshape(28, 28))
