"""Data: where MNIST came from, any row with its label, and where that row went in the seed split."""

from __future__ import annotations

import numpy as np
import streamlit as st

from .. import state
from ..components import cards
from ..components.charts import bar_counts
from ..components.pictures import pixels
from ..i18n import t
from ..resources import Dataset, require_data
from ..state import Key


def source(data: Dataset) -> str:
    kind = data.mnist.kind if data.mnist.kind in ("openml", "idx") else "other"
    return t(f"data.source.{kind}", source=data.mnist.source)


def where(data: Dataset, row: int) -> str:
    """Row numbers are not test image numbers: say which test image (if any) this row became."""
    hits = np.flatnonzero(data.test_rows == row)
    return t("data.in_test", index=int(hits[0])) if len(hits) else t("data.in_train")


def clamp(n: int) -> None:
    """A row past either end shows the nearest one, and the field says which (no bounds of Streamlit's:
    they keep a typed 70000 in the field while another row is shown)."""
    state.put(Key.DATA_INDEX, int(np.clip(state.get(Key.DATA_INDEX) or 0, 0, n - 1)))


def render() -> None:
    data = require_data("data")
    if data is None:
        return
    mnist, split = data.mnist, data.split
    st.markdown(t("data.summary", source=source(data), rows=len(mnist.labels), train=len(split.y_train), test=len(split.y_test)))
    n = len(mnist.labels)
    clamp(n)
    left, right = st.columns([2, 3], gap="large")
    with left:
        row = st.number_input(t("data.row", last=n - 1), step=1, key=Key.DATA_INDEX, on_change=clamp, args=(n,))
        st.image(pixels(mnist.images[row].reshape(28, 28) / 255.0, 280), width=280)
        cards.data_row(row, int(mnist.labels[row]))
        st.caption(where(data, row))
    with right:
        st.markdown(f"**{t('data.per_digit')}**")
        bar_counts(np.bincount(mnist.labels, minlength=10))
