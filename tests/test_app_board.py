"""The room's board of trainings and the presenter's retraining on the room's drawings, through
AppTest: a training appears on another session's board, the CSV, where a run stands, removing and
clearing (presenter only), and a retrained model made the room's default by the presenter only."""

from __future__ import annotations

import io
import os
import time

import numpy as np
import pandas as pd
import pytest

from helpers_app import LANGS, T, assert_clean, open_section, room, train_tiny, training_job
from mnist_app import presenter
from mnist_app.room import open_store
from mnist_app.room.board import Board, csv_bytes
from mnist_app.room.records import thumbnail_png
from mnist_app.state import Key

KEY = "s3cret-key"


@pytest.fixture
def presenter_key(monkeypatch):
    monkeypatch.setenv("MNIST_PRESENTER_KEY", KEY)
    return KEY


def board_runs():
    store = open_store(os.environ["MNIST_ROOM_DB"])
    try:
        return Board(store).runs()
    finally:
        store.close()


def board_frame(at) -> pd.DataFrame:
    (table,) = [d for d in at.dataframe if d.proto.id and "board_table" in d.proto.id] or [at.dataframe[0]]
    return table.value


@pytest.mark.parametrize("lang", LANGS)
def test_a_training_appears_on_the_board_of_another_session(app_test, tiny_data, lang):
    owner = train_tiny(app_test(lang), lr=0.02, hidden="16 8")
    job = training_job(owner)
    other = app_test(lang, section="board")
    assert_clean(other)
    frame = board_frame(other)
    assert len(frame) == 1 and frame[T(lang, "board.col.nick")][0] == owner.session_state[Key.NICK]
    assert frame[T(lang, "board.col.hidden")][0] == "16-8" and frame[T(lang, "board.col.lr")][0] == pytest.approx(0.02)
    assert frame[T(lang, "board.col.accuracy_after")][0] == pytest.approx(100 * job.metrics["accuracy"], abs=0.01)
    assert T(lang, "board.no_run") in [c.value for c in other.caption]
    open_section(owner, "board")
    assert [i.value for i in owner.info] == [T(lang, "board.standing", place=1, total=1)]
    assert [s.key for s in owner.slider] == [Key.BOARD_STEP]  # its replay
    assert_clean(owner)


def test_the_boards_csv_ranks_the_runs_without_tokens(app_test, tiny_data):
    sessions = [train_tiny(app_test(), lr=lr, epochs=1) for lr in (0.01, 0.5)]
    runs = board_runs()
    csv = pd.read_csv(io.BytesIO(csv_bytes(runs)))
    assert list(csv["rank"]) == [1, 2] and list(csv["accuracy_after"]) == sorted(csv["accuracy_after"], reverse=True)
    assert set(csv["lr"]) == {0.01, 0.5} and set(csv["nick"]) == {at.session_state[Key.NICK] for at in sessions}
    text = csv_bytes(runs).decode()
    assert not any(at.session_state[Key.TOKEN] in text for at in sessions)
    assert list(csv.columns)[:2] == ["rank", "nick"] and len(csv) == 2


def test_only_the_presenter_removes_a_run_and_clears_the_board(app_test, tiny_data, presenter_key):
    for lr in (0.01, 0.02):
        train_tiny(app_test(), lr=lr)
    participant = app_test("ko", section="board")
    assert not any((b.key or "").startswith("board_remove") for b in participant.button)
    for action, args in ((presenter.hide_run, (board_runs()[0].job_id,)), (presenter.clear_board, ())):
        with pytest.raises(presenter.Refused):
            action(*args)  # as if forged: outside a presenter's session
    assert len(board_runs()) == 2
    teacher = app_test("en", key=KEY, section="board")
    first, second = board_runs()
    teacher.selectbox(key=Key.BOARD_REMOVE).set_value(first.job_id).run()
    teacher.button(key="board_remove_button").click().run()
    assert [r.job_id for r in board_runs()] == [second.job_id]
    teacher.checkbox(key=Key.BOARD_CLEAR_SURE).check().run()
    teacher.button(key="board_clear").click().run()
    assert board_runs() == [] and room("queue", "get", second.job_id).status == "finished"  # the training stays
    assert_clean(teacher)


def add_drawings(participants: int, each: int, tiny) -> None:
    """Drawings of `participants` people in the room: tiny test digits (so they are learnable)."""
    store = open_store(os.environ["MNIST_ROOM_DB"])
    try:
        for p in range(participants):
            for i in range(each):
                k = p * each + i
                x = tiny.x_test[k]
                store.add(session_id=f"{p:032x}", label=int(tiny.y_test[k]), model="tutorial", predicted=0,
                          probabilities=[0.1] * 10, input28=x, thumbnail=thumbnail_png((x.reshape(28, 28) * 255).astype(np.uint8)))  # fmt: skip
    finally:
        store.close()


def test_only_the_presenter_retrains_and_makes_the_result_the_rooms_default(app_test, tiny_data, presenter_key):
    add_drawings(4, 8, tiny_data)
    teacher = app_test("ko", key=KEY, section="board")
    teacher.button(key="retrain_button").click().run()
    job_id = teacher.session_state[Key.RETRAIN_JOB]
    deadline = time.monotonic() + 120
    while (job := room("queue", "get", job_id)).running:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert job.status == "finished", job.error
    teacher.run()
    drawn, scores = job.metrics["drawings"], job.metrics["retrain"]
    assert drawn["participants_held_out"] >= 1 and drawn["count"] + drawn["held_out"] == 32
    assert {"old_held_out", "new_held_out", "old_test", "new_test"} <= set(scores)
    assert board_runs() == []  # a retraining is not a run of the exercise
    with pytest.raises(presenter.Refused):
        presenter.adopt_retrained(job_id, "forged")  # outside a presenter's session
    participant = app_test("en", section="board")
    assert not [b for b in participant.button if b.key in ("retrain_button", "retrain_adopt")]
    teacher.text_input(key=Key.RETRAIN_NAME).set_value("우리반-모델").run()
    teacher.button(key="retrain_adopt").click().run()
    assert room("shelf", "default") == "우리반-모델" and [s.value for s in teacher.success] == [T("ko", "retrain.adopted", name="우리반-모델")]
    assert app_test().session_state[Key.ACTIVE] == "우리반-모델"
    assert_clean(teacher)


def test_retraining_needs_two_participants(app_test, tiny_data, presenter_key):
    add_drawings(1, 5, tiny_data)
    teacher = app_test("en", key=KEY, section="board")
    teacher.button(key="retrain_button").click().run()
    assert teacher.session_state[Key.RETRAIN_JOB] is None
    assert [e.value for e in teacher.error] == [T("en", "retrain.too_few")]
