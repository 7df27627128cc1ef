"""Charts that answer a click: the confusion matrix and a gallery of digits as Vega-Lite specs with a
point selection, and which cell or digit a click chose.

A click is read as the change it made to the chart's selection, not as the selection itself. The
selection toggles (a second click on a cell takes it out again), so every click changes it and
reaches the script, even a click on the cell chosen before; with a plain point selection a second
click on the same cell changes nothing, sends nothing, and the page could not follow the selectboxes
that choose a cell too. For the same reason the chosen cell's outline is drawn from the data (the
session's state), never from the selection, which can lag behind that state.

Specs are written out rather than built with Altair, as in charts.py: Altair validates on every rerun.
"""

from __future__ import annotations

import base64
import io
import math
from typing import Callable

import numpy as np
import pandas as pd
import streamlit as st
from PIL import Image

from .. import state
from ..i18n import t
from ..state import Key
from .charts import body_px, legible

CELL, DIGIT = "cell", "digit"  # the selection parameters: a cell of the matrix, a digit of the gallery
CELL_FIELDS, DIGIT_FIELDS = ("true", "read"), ("index",)
RIGHT, WRONG, EDGE, CHOSEN = "#2e7d32", (198, 40, 40), "#d6d6d6", "#111111"  # green and red as the cards'
MATRIX_HEIGHT = 520  # the whole chart: ten rows of 36 px or more under its title, above its axis (labels up to 26 px)
# A gallery tile's side in px at most, by the caption's size: "4→7 100%" is about 4.5 body sizes wide.
TILE = {False: 96, True: 132}  # by presenter mode


def selected(selection, fields: tuple[str, ...]) -> frozenset[tuple[int, ...]]:
    """A selection as the browser sends it (a list of {field: value}, or {} when empty) -> tuples of ints."""
    items = selection if isinstance(selection, list) else []
    return frozenset(tuple(int(item[f]) for f in fields) for item in items if all(f in item for f in fields))


def clicked(before: frozenset, now: frozenset) -> tuple[int, ...] | None:
    """The one tuple a click added to the selection or took out of it; None if the change was not one click.

    One added beside others gone is a click too: the browser may have dropped a selection the script
    still remembers (a chart drawn anew starts with none)."""
    changed, added = before ^ now, now - before
    return next(iter(changed)) if len(changed) == 1 else next(iter(added)) if len(added) == 1 else None


def _selection(name: str, fields: tuple[str, ...]) -> dict:
    # "clear": False: a double click would empty the selection, a change that is no one click.
    return {"name": name, "select": {"type": "point", "fields": list(fields), "toggle": "true", "clear": False}}


def cell_colours(n: int, top: int, diagonal: bool) -> tuple[str, str]:
    """(fill, ink) of a cell: the right answers green, the mistakes white to red by their count, 0 white."""
    if diagonal:
        return RIGHT, "#ffffff"
    if n == 0:
        return "#ffffff", "#ffffff"
    f = 0.15 + 0.85 * math.sqrt(n / max(top, 1))  # square root: a single mistake is still seen
    fill = "#" + "".join(f"{round(255 + (c - 255) * f):02x}" for c in WRONG)
    return fill, "#ffffff" if f > 0.6 else "#222222"


def matrix_frame(matrix: np.ndarray, chosen: np.ndarray) -> pd.DataFrame:
    """One row per cell: its digits, count, colours, outline, and the sentence a screen reader says."""
    off = matrix[~np.eye(10, dtype=bool)]
    top = int(off.max()) if off.size else 0
    rows = []
    for true, read in np.ndindex(10, 10):
        n = int(matrix[true, read])
        fill, ink = cell_colours(n, top, true == read)
        label = t("evaluate.cell", true=true, read=read, n=n)
        rows.append({"true": true, "read": read, "n": n, "text": str(n) if n or true == read else "",
                     "fill": fill, "ink": ink, "chosen": bool(chosen[true, read]), "label": label})  # fmt: skip
    return pd.DataFrame(rows)


def matrix_spec(title: str) -> dict:
    """Rows: the true digit; columns: the digit read. Layers: the cells (clickable), counts, the outline."""
    axis = {"labelAngle": 0, "ticks": False, "domain": False}
    return legible({
        "title": {"text": title, "anchor": "start"},
        "height": MATRIX_HEIGHT,
        "encoding": {
            "x": {"field": "read", "type": "ordinal", "title": t("evaluate.read"), "axis": axis},
            "y": {"field": "true", "type": "ordinal", "title": t("evaluate.true"), "axis": axis},
        },
        "layer": [
            {"params": [_selection(CELL, CELL_FIELDS)],
             "mark": {"type": "rect", "cursor": "pointer", "stroke": EDGE, "strokeWidth": 1},
             "encoding": {"fill": {"field": "fill", "type": "nominal", "scale": None},
                          "description": {"field": "label"}, "tooltip": {"field": "label"}}},
            {"mark": {"type": "text", "fontWeight": "bold", "aria": False, "fontSize": {"expr": "clamp(bandwidth('x') / 3, 9, 17)"}},
             "encoding": {"text": {"field": "text"}, "color": {"field": "ink", "type": "nominal", "scale": None}}},
            {"transform": [{"filter": "datum.chosen"}],  # last, so no neighbour's fill covers the outline
             "mark": {"type": "rect", "filled": False, "stroke": CHOSEN, "strokeWidth": 4, "aria": False}},
        ],
    })  # fmt: skip


def matrix_chart(matrix: np.ndarray, chosen: np.ndarray, *, title: str, key: str, on_select: Callable[[], None]):
    """The confusion matrix, `chosen` (10, 10) bool outlined; returns the chart's selection state."""
    frame = matrix_frame(np.asarray(matrix), np.asarray(chosen, dtype=bool))
    return st.vega_lite_chart(frame, matrix_spec(title), key=key, on_select=on_select, selection_mode=CELL, width="stretch")


def data_url(x: np.ndarray) -> str:
    """A digit (784,) in [0, 1] as a 28x28 grey PNG data URL: a few hundred bytes, enlarged by the browser."""
    grey = (np.clip(np.asarray(x, dtype=np.float32).reshape(28, 28), 0, 1) * 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(grey, "L").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def caption_px() -> dict:
    """A tile's caption: the body size on a projector (tiles are made wide enough for it), else as large
    as the tile's width allows."""
    return body_px() if state.get(Key.PRESENTER) else {"expr": "clamp(bandwidth('x') / 5.2, 10, 17)"}


def gallery_spec(rows: int, cols: int, tile: int) -> dict:
    """Tiles as the room's wall draws them: black, a red edge (all mistakes), the caption under the digit.
    Every column is there even when fewer digits are: two mistakes are two tiles, not two halves. A tile
    is at most `tile` px wide, as it is high: a wide column leaves room on the right rather than
    stretching the tiles flat (at 1920x1080 they were 100x60)."""
    band = {"type": "ordinal", "axis": None}
    return {
        "height": rows * tile,
        "encoding": {"x": {"field": "col", **band, "scale": {"domain": list(range(cols)), "paddingInner": 0.1,
                                                               "range": [0, {"expr": f"min(width, {cols * tile})"}]}},
                     "y": {"field": "row", **band, "scale": {"paddingInner": 0.1}}},
        "layer": [
            {"params": [_selection(DIGIT, DIGIT_FIELDS)],  # the whole tile answers, caption included
             "mark": {"type": "rect", "fill": "#000000", "stroke": "#c62828", "strokeWidth": 2, "cornerRadius": 6, "cursor": "pointer"},
             "encoding": {"description": {"field": "label"}, "tooltip": {"field": "label"}}},
            {"mark": {"type": "image", "width": {"band": 0.86}, "height": {"band": 0.68}, "aspect": True, "smooth": False,
                      "yOffset": -8, "aria": False},  # centred in its tile (Vega's way for images), raised above the caption
             "encoding": {"url": {"field": "url", "type": "nominal"}}},
            {"mark": {"type": "text", "color": "#ffffff", "baseline": "bottom", "yOffset": -4, "fontWeight": "bold", "aria": False,
                      "fontSize": caption_px()},
             "encoding": {"text": {"field": "caption"}, "y": {"field": "row", **band, "bandPosition": 1}}},
        ],
    }  # fmt: skip


def gallery_chart(images: np.ndarray, indices, captions, labels, *, cols: int, tile: int, key: str,
                  on_select: Callable[[], None]):  # fmt: skip
    """Digits (N, 784) as tiles in `cols` columns of at most `tile` px, each with its caption; returns the
    chart's selection state."""
    n = len(indices)
    frame = pd.DataFrame({"index": [int(i) for i in indices], "url": [data_url(x) for x in images],
                          "caption": list(captions), "label": list(labels),
                          "col": [k % cols for k in range(n)], "row": [k // cols for k in range(n)]})  # fmt: skip
    spec = gallery_spec(-(-n // cols), cols, tile)
    return st.vega_lite_chart(frame, spec, key=key, on_select=on_select, selection_mode=DIGIT, width="stretch")
