"""The live view of a training: its first layer's templates, what it reads on a fixed handful of
test digits, and (in the replay) its confusion matrix, from one stored snapshot (room.snapshots).

A snapshot's pictures are made once per server (`st.cache_data` on the job and step: a snapshot
never changes), so thirty pages watching one training cost one rendering, not thirty.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from .. import state
from ..i18n import t
from . import maps
from .charts import confusion_heatmap

COLS = 8  # templates per row: 64 units make a square page


@st.cache_data(max_entries=512, show_spinner=False)
def _templates_png(job_id: str, step: int, _weights: np.ndarray) -> bytes:
    units = np.arange(len(_weights))
    return maps.png(maps.templates_mosaic(_weights.reshape(-1, 28, 28), units, cols=COLS, numbers=False, scale=3))


@st.cache_data(max_entries=8, show_spinner=False)
def _digits_png(_x: np.ndarray, key: str) -> bytes:
    return maps.png(maps.row([maps.grey(d.reshape(28, 28)) for d in _x], scale=3))


def digits() -> tuple[np.ndarray, np.ndarray] | None:
    """(images, true digits) of the fixed test digits the worker predicts (mnist_core.snapshots), if
    this server has the data (without it the page shows only what they are read as)."""
    from mnist_core.data import DataError
    from mnist_core.snapshots import fixed_digits

    from ..resources import load_dataset

    try:
        split = load_dataset().split
    except (DataError, OSError):
        return None
    index = fixed_digits(split.y_test)
    return split.x_test[index], split.y_test[index]


def confusion(matrix, key: str) -> None:
    confusion_heatmap(matrix, meant=t("live.meant"), read=t("live.read"), height=260, font=11, key=key)


def show(job_id: str, snap, digits, *, with_confusion: bool, key: str) -> None:
    """One snapshot: templates left; the fixed digits and what the network reads them as right."""
    left, right = st.columns([3, 2])
    with left:
        st.markdown(f"**{t('live.templates', epoch=f'{snap.epoch:.2f}')}**")
        st.image(_templates_png(job_id, snap.step, snap.weights), width="stretch")
        st.caption(t("live.templates_note", units=len(snap.weights)))
    with right:
        st.markdown(f"**{t('live.predictions')}**")
        if digits is not None:
            st.image(_digits_png(digits[0], ",".join(map(str, digits[1]))), width="stretch")
        right_ones = sum(int(p == d) for p, d in zip(snap.predictions, digits[1])) if digits is not None else None
        read = " ".join(str(p) for p in snap.predictions)
        st.markdown(t("live.read_as", digits=read) + ("" if right_ones is None else f" ({right_ones}/{len(snap.predictions)})"))
        if with_confusion:
            confusion(snap.confusion, key=f"{key}_confusion")


def _snapshots():
    from ..resources import room_store
    from ..room.snapshots import Snapshots

    return Snapshots(room_store())


def latest(job_id: str, digits, key: str) -> None:
    """The newest snapshot of a running training (called from a fragment that polls)."""
    snap = _snapshots().get(job_id)
    if snap is not None:
        show(job_id, snap, digits, with_confusion=False, key=key)


def replay(job_id: str, digits, slider_key: str) -> None:
    """A finished training's snapshots on an epoch slider, each with its confusion matrix."""
    steps = _snapshots().steps(job_id)
    if len(steps) < 2:
        return
    last = len(steps) - 1
    if not 0 <= int(state.get(slider_key)) <= last:  # another training's position: start at its end
        state.put(slider_key, last)
    at = st.slider(t("live.slider"), 0, last, key=slider_key, format=" ",
                   help=t("live.slider_help"))  # fmt: skip
    step, epoch = steps[at]
    st.caption(t("live.at", epoch=f"{epoch:.2f}", step=step))
    snap = _snapshots().get(job_id, step)
    if snap is not None:
        show(job_id, snap, digits, with_confusion=True, key=slider_key)
