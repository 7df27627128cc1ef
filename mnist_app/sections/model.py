"""Model: the checkpoints everyone shares, and which one is this session's active model."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from .. import state
from ..frame import model_label
from ..i18n import t
from ..models import ModelChoice, active_model, list_models, model_choices
from ..state import OWN_MODEL, Key


def table(choices: dict[str, ModelChoice], active: str | None) -> pd.DataFrame:
    """One row per model; the active one marked with a plain ● (not a checkbox that looks clickable)."""
    rows = [
        {
            t("model.col.active"): "●" if name == active else "",
            t("model.col.name"): t("model.own") if name == OWN_MODEL else name,
            t("model.col.architecture"): c.architecture,
            t("model.col.accuracy"): None if c.accuracy is None else 100 * c.accuracy,
            t("model.col.training"): t("model.training", epochs=c.train_config.epochs, lr=f"{c.train_config.lr:g}", batch=c.train_config.batch_size),
            t("model.col.created"): c.created[:16].replace("T", " "),
        }
        for name, c in choices.items()
    ]
    return pd.DataFrame(rows)


def select() -> None:
    state.put(Key.ACTIVE, state.get(Key.MODEL_SELECT))


def render() -> None:
    model = active_model()  # settles the default before the list is drawn
    choices, unusable = model_choices(), list_models()[1]
    st.markdown(t("model.intro"))
    for name in unusable:
        st.warning(t("model.unusable", name=name))
    if not choices:
        st.error(t("model.none"))
        return
    st.dataframe(
        table(choices, model.name), hide_index=True, width="stretch",
        column_config={t("model.col.accuracy"): st.column_config.NumberColumn(format="%.2f%%")},
    )  # fmt: skip
    state.put(Key.MODEL_SELECT, model.name)  # follow changes made elsewhere (a training, a save, the URL)
    labels = {name: model_label(c) for name, c in choices.items()}  # looked up now: see frame.header
    st.selectbox(t("model.select"), list(choices), key=Key.MODEL_SELECT, on_change=select, format_func=labels.get)
