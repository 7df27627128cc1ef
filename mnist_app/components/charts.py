"""Charts as plain Vega-Lite specs or, where one is drawn on every stroke or digit, as HTML bars; large
enough to read from the back of a room.

Specs are written out rather than built with Altair: Altair validates its spec on every rerun, which
costs tens of milliseconds of the GIL that the other sessions and a running training share.

Every chart's axis labels, titles and legend are at least the page's body size and in its text colour
(`legible`): Streamlit's chart theme draws them at 14-15 px in a grey of 60%, which a projector washes
out. The body size depends on the window (style/*.css: 18 px, 21 px from 1600 px wide; presenter mode
22 px and 26 px), so the size is a Vega expression of the window's width, not a number.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import streamlit as st

from .. import state
from ..i18n import t
from ..state import Key

PREDICTED, TRUE, OTHER = "#e4572e", "#2e7d32", "#7f8fa6"
INK = "#31333f"  # the page's text colour
WIDE = 1600  # px: the window width from which the page's type is larger (style/base.css, presenter.css)


def body_px() -> dict:
    """The page's body size in px, as a Vega expression of the window's width (see the module's docstring)."""
    small, large = (22, 26) if state.get(Key.PRESENTER) else (18, 21)
    return {"expr": f"windowSize()[0] >= {WIDE} ? {large} : {small}"}


def legible(spec: dict) -> dict:
    """`spec` with its axes, legend and title at the body size and in the text colour; every label of a
    discrete axis shown (Vega-Lite drops every other one that it thinks would overlap)."""
    size = body_px()
    text = {"labelFontSize": size, "titleFontSize": size, "labelColor": INK, "titleColor": INK}
    spec["config"] = {"axis": text, "axisDiscrete": {"labelOverlap": False}, "legend": text,
                      "title": {"fontSize": size, "color": INK}}  # fmt: skip
    return spec


def probability_chart(probs: np.ndarray, *, true_label: int | None = None, height: int = 260) -> None:
    """The ten class probabilities (10,) as bars with their percentages: the prediction in orange, a
    differing true label in green.

    HTML, not a Vega-Lite chart: the Draw section draws it on every stroke. As Vega it was one more
    message, a spec and an Arrow table to build per stroke, and a view the browser (a phone's, too)
    drew anew each time (issue 25); the numbers on the bars also read from the back of a room."""
    predicted = int(probs.argmax())
    kinds = ["predicted" if d == predicted else "true" if d == true_label else "other" for d in range(10)]
    title = t("chart.probability")
    described = f"{title}: " + ", ".join(f"{d} {100 * float(p):.0f}%" for d, p in enumerate(probs))
    bars = "".join(_probability_bar(d, float(p), kind) for d, (p, kind) in enumerate(zip(probs, kinds)))
    st.markdown(f'<div class="probs" role="img" aria-label="{html.escape(described)}">'
                f'<div class="probs-title" aria-hidden="true">{html.escape(title)}</div>'
                f'<div class="probs-bars" style="height:{height - 60}px" aria-hidden="true">{bars}</div></div>',
                unsafe_allow_html=True)  # fmt: skip


def _probability_bar(digit: int, p: float, kind: str) -> str:
    """One digit's bar, its percentage over it and the digit under it; `data-*` for the tests."""
    value = f'<span class="probs-value">{100 * p:.0f}%</span>' if p >= 0.005 else ""  # no row of "0%"s
    return (f'<div class="probs-col probs-{kind}" data-digit="{digit}" data-p="{p:.6f}">'
            f'<div class="probs-track"><span class="probs-bar" style="height:{100 * p:.1f}%">{value}</span></div>'
            f'<span class="probs-digit">{digit}</span></div>')  # fmt: skip


def models_chart(probs: dict[str, np.ndarray], *, height: int = 240) -> None:
    """Several models' ten probabilities, {name: (10,)}, as one chart: for each digit a bar per model.

    One chart, not one per model: each Vega view is drawn anew in the browser when its digit changes,
    and three of them were a good part of the inside view's time to a new test image."""
    names = list(probs)
    frame = pd.DataFrame([{"digit": str(d), "model": name, "p": float(p[d])} for name, p in probs.items() for d in range(10)])
    spec = {
        "mark": {"type": "bar", "tooltip": True},
        "height": height,
        "encoding": {
            "x": {"field": "digit", "type": "nominal", "sort": None, "title": None, "axis": {"labelAngle": 0}},
            "xOffset": {"field": "model", "sort": names},
            "y": {"field": "p", "type": "quantitative", "scale": {"domain": [0, 1]}, "title": t("chart.probability"),
                  "axis": {"format": "%"}},
            "color": {"field": "model", "type": "nominal", "sort": names, "title": None,
                      "scale": {"range": [OTHER, "#3b6fb6", PREDICTED][: len(names)]},  # the untrained network grey
                      "legend": {"orient": "top", "symbolSize": 160}},
        },
    }  # fmt: skip
    st.vega_lite_chart(frame, legible(spec), width="stretch")


def line_chart(frame: pd.DataFrame, column: str, *, height: int = 240) -> None:
    """One training curve (`column`) against the epoch, fractional."""
    spec = {
        "mark": {"type": "line"},
        "height": height,
        "encoding": {
            "x": {"field": "epoch", "type": "quantitative", "title": t("chart.epoch")},
            "y": {"field": column, "type": "quantitative", "title": None},
        },
    }  # fmt: skip
    st.vega_lite_chart(frame, legible(spec), width="stretch")


def bar_counts(counts: np.ndarray, *, height: int = 300) -> None:
    """Images per digit (10,)."""
    frame = pd.DataFrame({"digit": [str(d) for d in range(10)], "n": counts.astype(int)})
    spec = {
        "mark": {"type": "bar", "tooltip": True},
        "height": height,
        "encoding": {
            "x": {"field": "digit", "type": "nominal", "sort": None, "title": t("chart.digit"),
                  "axis": {"labelAngle": 0}},
            "y": {"field": "n", "type": "quantitative", "title": t("chart.images")},
        },
    }  # fmt: skip
    st.vega_lite_chart(frame, legible(spec), width="stretch")


def signed_bars(names: list[str], values: np.ndarray, *, name_title: str, value_title: str) -> None:
    """Signed values as bars either side of a zero line, one row per name, in the given order
    (contributions to a score: red for, blue against).

    HTML, not a Vega-Lite chart: the inside view draws it for every digit, and each Vega view drawn
    anew cost the browser tens of milliseconds (bench/bench_views.py)."""
    values = np.asarray(values, dtype=float)
    top = max(float(np.abs(values).max(initial=0.0)), 1e-12)
    rows = []
    for name, v in zip(names, values):
        width = f"{50 * abs(v) / top:.1f}%"
        side = "for" if v >= 0 else "against"
        rows.append(f'<div class="signed-row" role="row"><span role="rowheader">{html.escape(name)}</span>'
                    f'<span class="signed-track"><span class="signed-bar {side}" style="width:{width}"></span></span>'
                    f'<span role="cell">{v:+.2f}</span></div>')  # fmt: skip
    head = f'<div class="signed-row signed-head" role="row"><span role="columnheader">{html.escape(name_title)}</span><span></span><span role="columnheader">{html.escape(value_title)}</span></div>'
    st.markdown(f'<div class="signed-bars" role="table">{head}{"".join(rows)}</div>', unsafe_allow_html=True)


def confusion_heatmap(matrix, *, meant: str, read: str, height: int, font: int, label_font: int | None = None,
                      key: str | None = None) -> None:  # fmt: skip
    """A 10x10 count matrix (row: the digit meant, column: the digit read) as blue cells with their counts;
    its labels at the body size, or `label_font` px if that is larger."""
    rows = [{"meant": str(i), "read": str(j), "n": int(n)} for i, r in enumerate(matrix) for j, n in enumerate(r)]
    spec = {
        "height": height,
        "layer": [
            {"mark": "rect", "encoding": {"color": {"field": "n", "type": "quantitative", "legend": None, "scale": {"scheme": "blues"}}}},
            {"mark": {"type": "text", "fontSize": font}, "encoding": {"text": {"field": "n", "type": "quantitative"}}},
        ],
        "encoding": {
            "x": {"field": "read", "type": "ordinal", "title": read, "axis": {"labelAngle": 0}},
            "y": {"field": "meant", "type": "ordinal", "title": meant},
        },
    }  # fmt: skip
    spec = legible(spec)
    if label_font:
        spec["config"]["axis"]["labelFontSize"] = {"expr": f"max({label_font}, {body_px()['expr']})"}
    st.vega_lite_chart(pd.DataFrame(rows), spec, width="stretch", key=key)
