"""Train: the tutorial's network from scratch with its hyperparameters as defaults, live progress and
curves, test accuracy before and after, Stop, and saving the result as a named checkpoint."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mnist_core.config import ConfigError

from .. import presenter, state, training
from ..catalogue import NameTaken, save_trained
from ..components import export, live
from ..components.charts import line_chart
from ..i18n import t
from ..room import RoomError
from ..room.queue import DATA_ERROR, Job
from ..settings import LIMITS, POLL_S, QUEUE_POLL_S, max_train_seconds
from ..state import Key


def options(disabled: bool) -> None:
    """The inputs, without bounds: Streamlit would keep a typed value outside them off the server (the
    field turns red, an English tooltip says why, and Train would use the previous value), so a value
    out of range reaches `start`, which refuses it in the session's language (training.parse_options)."""
    c = st.columns(5)
    c[0].number_input(t("train.epochs"), step=1, key=Key.TRAIN_EPOCHS, disabled=disabled)
    c[1].number_input(t("train.lr"), step=0.001, format="%.4f", key=Key.TRAIN_LR, disabled=disabled)
    c[2].number_input(t("train.batch"), step=16, key=Key.TRAIN_BATCH, disabled=disabled)
    c[3].text_input(t("train.hidden"), key=Key.TRAIN_HIDDEN, disabled=disabled, help=t("train.hidden_help"), max_chars=64)
    c[4].number_input(t("train.seed"), step=1, key=Key.TRAIN_SEED, disabled=disabled)


def start() -> None:
    try:
        model_config, train_config = training.checked_options()
        training.submit(model_config, train_config)
    except ConfigError as e:
        st.error(t("train.cannot", reason=t(f"train.invalid.{e.field}", **LIMITS)))
        return
    except training.TooLong as e:
        limit = training.duration(max_train_seconds())
        st.error(t("train.cannot", reason=t("train.too_long", estimate=training.duration(e.seconds), limit=limit)))
        return
    except RoomError as e:
        st.error(t("train.cannot", reason=t(f"room.error.{e.code}")))
        return
    st.rerun()  # redraw everything with the job running: inputs locked, Stop enabled, progress polling


def curves(points: list[dict]) -> None:
    if not points:
        return
    frame = pd.DataFrame(points[:: max(1, len(points) // 150)])  # a few hundred points at most
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t('train.loss')}**")
        line_chart(frame, "loss")
    with right:
        st.markdown(f"**{t('train.accuracy')}**")
        line_chart(frame, "accuracy")


def percent(evaluation) -> str:
    return "…" if evaluation is None else f"{100 * evaluation.accuracy:.2f}%"


def show_job(job: Job) -> None:
    if not job.running and not state.get(Key.TRAIN_COLLECTED):
        st.rerun()  # the worker is done: a full rerun takes note of it and unlocks the inputs
    if job.status == "failed":
        st.error(training.status_text(job))
        if (job.error or "").startswith(DATA_ERROR):  # what the operator can do about it
            st.info(t("data.help"))
    else:
        st.progress(job.fraction, text=training.status_text(job))
    after = job.after
    before_col, after_col = st.columns(2)
    before_col.metric(t("train.before"), percent(job.before))
    after_col.metric(t("train.after"), percent(after), help=None if after is None else t("train.of", correct=after.correct, total=after.total))
    curves(list(job.points))
    watch(job)


def watch(job: Job) -> None:
    """The first layer and the fixed digits' predictions: live while it trains, then on a slider."""
    if job.status == "training":
        live.latest(job.id, live.digits(), key="train_live")
    elif job.status == "finished":
        live.replay(job.id, live.digits(), Key.LIVE_STEP)


def progress(job: Job) -> None:
    """Progress bar, accuracies and curves; redrawn every POLL_S seconds while the training runs
    (every QUEUE_POLL_S while it waits: a place in the queue changes seldom)."""
    waiting = job.status == "queued"

    @st.fragment(run_every=(QUEUE_POLL_S if waiting else POLL_S) if job.running else None)
    def redraw() -> None:
        now = training.current() or job
        if (now.status == "queued") != waiting:
            st.rerun()  # its turn came: poll at the training's pace
        show_job(now)
        queue_view()

    redraw()


def queue_view() -> None:
    """Who trains and who waits, by nickname, with estimates; the presenter can stop or clear."""
    queue = training.line()
    if not queue:
        return
    st.markdown(f"**{t('train.queue.title')}**")
    if training.workers_alive() == 0:
        st.warning(t("train.queue.no_worker"))
    waiting = 0
    for job in queue:
        key = "running" if job.status != "queued" else "waiting"
        waiting += job.status == "queued"
        text = t(f"train.queue.{key}", place=waiting, who=training.nickname(job.nick), left=training.duration(job.seconds_left()))
        left, right = st.columns([5, 1], vertical_alignment="center")
        left.markdown(f"- {text}")
        if key == "running" and presenter.allowed():
            right.button(t("train.queue.stop"), key=f"presenter_stop_{job.id}", on_click=presenter.stop_training, args=(job.id,))
    if waiting and presenter.allowed():
        st.button(t("train.queue.clear"), key="presenter_clear_queue", on_click=presenter.clear_queue, icon=":material/clear_all:")


def save_form() -> None:
    trained = state.get(Key.TRAINED)
    if trained is None:
        return
    st.markdown(f"#### {t('train.save_title')}")
    st.caption(t("train.save_note"))
    export.download(trained, key="train_export")
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    left.text_input(t("train.save_name"), key=Key.SAVE_NAME, placeholder=t("train.save_placeholder"), max_chars=40)
    if right.button(t("train.save"), key="save_button", icon=":material/save:", width="stretch"):
        problem = save(trained)
        if problem:
            left.error(t("train.not_saved", reason=problem))  # under the name, where the eyes are


def save(trained) -> str | None:
    """Save the session's model under the typed name; why not, in the session's words, or None (then rerun)."""
    if not state.get(Key.SAVE_NAME).strip():
        return t("train.empty_name")
    try:
        name = save_trained(trained, state.get(Key.SAVE_NAME), owner=state.get(Key.TOKEN), nick=state.get(Key.NICK))
    except NameTaken:
        return t("train.name_taken")
    except ValueError:
        return t("train.bad_name")
    except RoomError as e:
        return t(f"room.error.{e.code}")
    state.put(Key.TRAINED, None)
    state.put(Key.ACTIVE, name)
    state.put(Key.FLASH, ("success", "train.saved", {"name": name}))
    st.rerun()


def render() -> None:
    st.markdown(t("train.intro"))
    job = training.current()
    running = job is not None and job.running
    options(disabled=running)
    left, right, _ = st.columns([1, 1, 3])
    if left.button(t("train.start"), key="train_button", type="primary", disabled=running, icon=":material/play_arrow:", width="stretch"):
        start()
    right.button(t("train.stop"), key="stop_button", disabled=not running, on_click=training.stop if running else None,
                 icon=":material/stop:", width="stretch")  # fmt: skip
    if job is not None:
        progress(job)
    else:
        queue_view()
    save_form()
