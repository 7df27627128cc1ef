"""Board: every finished training of the room (from Train or the Lesson) on one board. Everyone's
curves overlaid and coloured by a setting (learning rate, hidden sizes, batch size, epochs), the runs
ranked by test accuracy, where one's own run stands, the board as CSV; a running training's first
layer and predictions live; a finished run replayed on an epoch slider with its confusion matrix.
With the presenter key: remove a run, clear the board, retrain on the room's drawings (retrain_panel)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from .. import presenter, state, training
from ..components import live
from ..i18n import t
from ..resources import room_store
from ..room import RoomError
from ..room.board import SETTINGS, Board, csv_bytes, standing, table
from ..state import Key
from .retrain_panel import retrain_panel

REFRESH_S = 3.0  # the board and the live view redraw this often while the section is open
COLUMNS = ("rank", "nick", "lr", "hidden", "batch_size", "epochs", "accuracy_before", "accuracy_after", "seconds")


def label(runs, job_id: str) -> str:
    place = next((i for i, r in enumerate(runs, start=1) if r.job_id == job_id), 0)
    run = runs[place - 1]
    return t("board.run", place=place, who=training.nickname(run.nick), percent=f"{100 * run.after:.2f}")


def overlay(runs, by: str) -> None:
    rows = [{"run": f"#{place} {r.nick}", "setting": str(getattr(r, by)), "epoch": p["epoch"], "accuracy": p["accuracy"]}
            for place, r in enumerate(runs, start=1) for p in r.points[:: max(1, len(r.points) // 60)]]  # fmt: skip
    spec = {
        "height": 320, "mark": {"type": "line", "point": False},
        "encoding": {
            "x": {"field": "epoch", "type": "quantitative", "title": t("board.epoch")},
            "y": {"field": "accuracy", "type": "quantitative", "title": t("board.accuracy"), "axis": {"format": ".0%"}},
            "color": {"field": "setting", "type": "nominal", "title": t(f"board.by.{by}")},
            "detail": {"field": "run"}, "tooltip": [{"field": "run"}, {"field": "setting", "title": t(f"board.by.{by}")}],
        },
    }  # fmt: skip
    st.vega_lite_chart(pd.DataFrame(rows, columns=["run", "setting", "epoch", "accuracy"]), spec, width="stretch", key="board_chart")


def ranking(runs) -> None:
    frame = table(runs)
    frame["accuracy_before"], frame["accuracy_after"] = 100 * frame["accuracy_before"], 100 * frame["accuracy_after"]
    frame = frame.rename(columns={c: t(f"board.col.{c}") for c in COLUMNS})
    percent = st.column_config.NumberColumn(format="%.2f%%")
    st.dataframe(frame, hide_index=True, width="stretch", key="board_table",
                 column_config={t("board.col.accuracy_before"): percent, t("board.col.accuracy_after"): percent})  # fmt: skip


def mine(runs) -> None:
    place = standing(runs, state.get(Key.TOKEN))
    if place is None:
        st.caption(t("board.no_run"))
    else:
        st.info(t("board.standing", place=place[0], total=place[1]), icon=":material/leaderboard:")


def watch(pictures) -> None:
    """A running training's first layer and predictions: the presenter's choice of any, else one's own."""
    running = [j for j in training.line() if j.status == "training" and j.kind == "train"]
    if not presenter.allowed():
        running = [j for j in running if j.owner == state.get(Key.TOKEN)]
    if not running:
        return
    ids = [j.id for j in running]
    if state.get(Key.BOARD_WATCH) not in ids:
        state.put(Key.BOARD_WATCH, ids[0])
    nicks = {j.id: training.nickname(j.nick) for j in running}
    st.markdown(f"#### {t('board.live')}")
    chosen = st.selectbox(t("board.watch"), ids, key=Key.BOARD_WATCH, format_func=nicks.get)
    live.latest(chosen, pictures, key="board_live")


def replay(runs, pictures) -> None:
    ids = [r.job_id for r in runs]
    if state.get(Key.BOARD_REPLAY) not in ids:
        mine = [r.job_id for r in runs if r.owner == state.get(Key.TOKEN)]
        state.put(Key.BOARD_REPLAY, (mine or ids)[0])
    st.markdown(f"#### {t('board.replay')}")
    labels = {i: label(runs, i) for i in ids}
    chosen = st.selectbox(t("board.replay_which"), ids, key=Key.BOARD_REPLAY, format_func=labels.get)
    live.replay(chosen, pictures, Key.BOARD_STEP)


def moderation(runs) -> None:
    """The presenter's: take one run off the board, or all of them (after a confirmation)."""
    if not presenter.allowed() or not runs:
        return
    with st.expander(t("presenter.title"), expanded=True):
        ids = [r.job_id for r in runs]
        if state.get(Key.BOARD_REMOVE) not in ids:
            state.put(Key.BOARD_REMOVE, ids[-1])
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        labels = {i: label(runs, i) for i in ids}
        left.selectbox(t("board.remove_which"), ids, key=Key.BOARD_REMOVE, format_func=labels.get)
        right.button(t("board.remove"), key="board_remove_button", width="stretch", on_click=remove)
        sure = st.checkbox(t("board.clear_sure"), key=Key.BOARD_CLEAR_SURE)
        st.button(t("board.clear"), key="board_clear", disabled=not sure, icon=":material/delete_sweep:", on_click=clear)


def remove() -> None:
    presenter.hide_run(state.get(Key.BOARD_REMOVE))


def clear() -> None:
    if state.get(Key.BOARD_CLEAR_SURE):
        presenter.clear_board()
    state.put(Key.BOARD_CLEAR_SURE, False)


def render() -> None:
    board, pictures = Board(room_store()), live.digits()
    st.markdown(t("board.intro"))

    @st.fragment(run_every=REFRESH_S)
    def live_board() -> None:
        try:
            runs = board.runs()
            mine(runs)
            if runs:
                names = {s: t(f"board.by.{s}") for s in SETTINGS}  # looked up now: AppTest formats outside the run
                st.selectbox(t("board.colour_by"), SETTINGS, key=Key.BOARD_COLOUR, format_func=names.get)
                overlay(runs, state.get(Key.BOARD_COLOUR))
                ranking(runs)
                st.download_button(t("board.csv"), data=csv_bytes(runs), file_name="board.csv", mime="text/csv",
                                   key="board_csv", icon=":material/download:")  # fmt: skip
            else:
                st.info(t("board.empty"))
            watch(pictures)
        except RoomError as e:
            st.error(t(f"room.error.{e.code}"))

    live_board()
    try:
        runs = board.runs()
        if runs:
            replay(runs, pictures)
        moderation(runs)
        retrain_panel()
    except RoomError as e:
        st.error(t(f"room.error.{e.code}"))
