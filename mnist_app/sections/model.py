"""Model: the checkpoints everyone shares, which one is this session's active model, deleting one's
own saves, and the presenter's key and choices (delete any saved one, the checkpoint to start on)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from .. import presenter, presenter_access, state
from ..catalogue import ModelChoice, active_model, deletable, delete_saved, list_models, model_choices
from ..components import export
from ..frame import listed_name, model_label
from ..i18n import t
from ..presenter_access import MAX_KEY_CHARS
from ..room import RoomError
from ..settings import presenter_key
from ..state import OWN_MODEL, Key


def table(choices: dict[str, ModelChoice], active: str | None) -> pd.DataFrame:
    """One row per model; the active one marked with a plain ● (not a checkbox that looks clickable)."""
    rows = [
        {
            t("model.col.active"): "●" if name == active else "",
            t("model.col.name"): listed_name(name),
            t("model.col.owner"): t("train.nick", code=c.nick) if c.nick else "",
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
    export.download(model, key="model_export")
    delete_form(choices)
    presenter_form(choices)


def delete(name: str) -> None:
    try:
        if presenter.allowed():
            presenter.delete_saved(name)
        else:
            delete_saved(name, owner=state.get(Key.TOKEN))
    except (PermissionError, RoomError):
        state.put(Key.MODEL_NOTICE, ("delete", "error", "model.not_deleted", {"name": name}))
        return
    state.put(Key.MODEL_NOTICE, ("delete", "success", "model.deleted", {"name": name}))


def notice(place: str) -> None:
    """The outcome of this form's last action, under it where the eyes are (not at the page's top)."""
    told = state.get(Key.MODEL_NOTICE)
    if told and told[0] == place:
        state.put(Key.MODEL_NOTICE, None)
        _, level, key, values = told
        (st.success if level == "success" else st.error)(t(key, **values))


def delete_form(choices: dict[str, ModelChoice]) -> None:
    """Own saves (all saved ones, for the presenter) can be deleted; the shipped ones never."""
    mine = [n for n, c in choices.items() if deletable(c, state.get(Key.TOKEN), presenter.allowed())]
    if not mine:
        notice("delete")  # the last one of them was just deleted
        return
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    name = left.selectbox(t("model.delete_which"), mine, key="delete_select")
    right.button(t("model.delete"), key="delete_button", on_click=delete, args=(name,), icon=":material/delete:", width="stretch")
    notice("delete")


def presenter_form(choices: dict[str, ModelChoice]) -> None:
    if not presenter_key():
        return
    # Keyed by the rights: a page whose pass came back a moment after its first run opens the new one.
    allowed = presenter.allowed()
    with st.expander(t("presenter.title"), expanded=allowed, key="presenter_open" if allowed else "presenter_closed"):
        if not presenter.allowed():
            st.text_input(t("presenter.key"), key=Key.PRESENTER_KEY, type="password", max_chars=MAX_KEY_CHARS,
                          on_change=lambda: presenter_access.unlock(state.get(Key.PRESENTER_KEY)))  # fmt: skip
            if state.get(Key.PRESENTER_KEY):
                st.warning(t("presenter.wrong_key"))
            return
        st.caption(t("presenter.unlocked"))
        st.button(t("presenter.give_up"), key="presenter_give_up", on_click=presenter_access.give_up, icon=":material/logout:")
        names = [n for n in choices if n != OWN_MODEL]
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        name = left.selectbox(t("presenter.default"), names, key="default_select")
        right.button(t("presenter.set_default"), key="default_button", on_click=set_default, args=(name,), width="stretch")
        notice("default")


def set_default(name: str) -> None:
    try:
        presenter.set_default(name)
    except RoomError as e:
        state.put(Key.MODEL_NOTICE, ("default", "error", f"room.error.{e.code}", {}))
        return
    state.put(Key.MODEL_NOTICE, ("default", "success", "presenter.default_set", {"name": name}))
