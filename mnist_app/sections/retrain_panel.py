"""The presenter's retraining on the room's drawings, in the Board section: start it (it goes through
the training queue: mnist_app.retrain runs in a worker), watch it, compare the old and the new model
on the held-out participants' drawings and on the MNIST test images side by side, and make the new
model the room's default."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from .. import presenter, state, training
from ..catalogue import active_model, default_name, model_choices
from ..i18n import t
from ..room import RoomError
from ..settings import POLL_S
from ..state import OWN_MODEL, Key


def base_name() -> str | None:
    """The presenter's active model, or the room's default when the active one is their own unsaved one."""
    model = active_model()
    if model is not None and model.name != OWN_MODEL:
        return model.name
    return default_name(model_choices())


def start(base: str) -> None:
    try:
        job = presenter.retrain(base)
    except training.TooLong:
        state.put(Key.FLASH, ("error", "retrain.too_long", {}))
        return
    except RoomError as e:
        state.put(Key.FLASH, ("error", f"room.error.{e.code}", {}))
        return
    except ValueError:  # fewer than two participants' drawings, or a base model this server cannot read
        state.put(Key.FLASH, ("error", "retrain.too_few", {}))
        return
    state.put(Key.RETRAIN_JOB, job.id)


def adopt(job_id: str) -> None:
    name = state.get(Key.RETRAIN_NAME).strip()
    try:
        presenter.adopt_retrained(job_id, name)
    except RoomError as e:
        reason = t("train.name_taken") if e.code == "name_taken" else t(f"room.error.{e.code}")
        state.put(Key.FLASH, ("error", "retrain.not_saved", {"reason": reason}))
        return
    except ValueError:
        state.put(Key.FLASH, ("error", "retrain.not_saved", {"reason": t("train.bad_name")}))
        return
    state.put(Key.ACTIVE, name)
    state.put(Key.FLASH, ("success", "retrain.adopted", {"name": name}))


def results(job) -> None:
    scores, drawn = job.metrics["retrain"], job.metrics["drawings"]
    frame = pd.DataFrame({
        t("retrain.col.data"): [t("retrain.held_out"), t("retrain.test")],
        t("retrain.col.old"): [100 * scores["old_held_out"], 100 * scores["old_test"]],
        t("retrain.col.new"): [100 * scores["new_held_out"], 100 * scores["new_test"]],
    })  # fmt: skip
    percent = st.column_config.NumberColumn(format="%.2f%%")
    st.dataframe(frame, hide_index=True, key="retrain_results",
                 column_config={t("retrain.col.old"): percent, t("retrain.col.new"): percent})  # fmt: skip
    st.caption(t("retrain.counts", trained=drawn["count"], people=drawn["participants_trained"], repeat=drawn["repeat"],
                 held=drawn["held_out"], held_people=drawn["participants_held_out"], base=scores["base"]))  # fmt: skip
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    left.text_input(t("retrain.name"), key=Key.RETRAIN_NAME, placeholder=t("train.save_placeholder"))
    right.button(t("retrain.adopt"), key="retrain_adopt", on_click=adopt, args=(job.id,), width="stretch", type="primary")


def show(job_id: str) -> None:
    from ..resources import room_queue

    job = room_queue().get(job_id)
    if job is None:
        return

    @st.fragment(run_every=POLL_S if job.running else None)
    def progress() -> None:
        now = room_queue().get(job_id) or job
        if now.running != job.running:
            st.rerun()
        if now.status == "finished":
            results(now)
        elif now.error and now.error.startswith("retrain:"):
            st.error(t("retrain.too_few"))
        else:
            st.progress(now.fraction, text=training.status_text(now))

    progress()


def retrain_panel() -> None:
    if not presenter.allowed():
        return
    with st.expander(t("retrain.title"), expanded=True):
        st.markdown(t("retrain.intro"))
        base = base_name()
        if base is not None:
            st.button(t("retrain.start", model=base), key="retrain_button", on_click=start, args=(base,), icon=":material/model_training:")
        if state.get(Key.RETRAIN_JOB) is not None:
            show(state.get(Key.RETRAIN_JOB))
