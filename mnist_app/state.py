"""The session's state: every key in one place, with its default.

`st.session_state` holds what is one person's (their language, section, active model, a model they
trained, their training job, their widgets' values). Nothing else in the app names a key by string.
"""

from __future__ import annotations

import secrets

import streamlit as st

from .settings import TUTORIAL_INDEX, TUTORIAL_MODEL, TUTORIAL_TRAIN

OWN_MODEL = ":trained"  # the `ACTIVE` value meaning the session's own, unsaved model (no file has ':')
SECTIONS = ("draw", "lesson", "test", "evaluate", "inside", "train", "data", "model", "room")


class Key:
    LANG = "lang"
    SECTION = "section"
    PRESENTER = "presenter"
    ACTIVE = "active"  # a checkpoint's name, or OWN_MODEL
    TRAINED = "trained"  # this session's trained model (a models.ModelChoice), until saved
    TRAIN_JOB = "train_job"  # this session's jobs.TrainingJob
    TEST_INDEX = "test_index"
    TEST_ONLY_WRONG = "test_only_wrong"
    DATA_INDEX = "data_index"
    TRAIN_EPOCHS = "train_epochs"
    TRAIN_LR = "train_lr"
    TRAIN_BATCH = "train_batch"
    TRAIN_HIDDEN = "train_hidden"
    TRAIN_SEED = "train_seed"
    SAVE_NAME = "save_name"
    MODEL_SELECT = "model_select"
    DATA_ERROR = "data_error"  # why the data could not be loaded, remembered so it is not retried per rerun
    FLASH = "flash"  # ("success" or "error", catalogue key, values): shown once at the top of the next run
    URL_READ = "url_read"  # the query string has been read into the state (once per session)
    NICK = "nick"  # a short anonymous name for this session, shown to others in the training queue
    IS_PRESENTER = "is_presenter"  # this session gave the presenter key
    PRESENTER_KEY = "presenter_key"  # the key field in the Model section
    ROOM_SESSION = "room_session"  # an anonymous id for this browser session's drawings in the room
    ROOM_PENDING = "room_pending"  # the drawing on screen, for the "right?" tap's callback
    ROOM_SAVED = "room_saved"  # the fingerprint of the last drawing stored: one drawing, stored once
    ROOM_ERROR = "room_error"  # why the last drawing was not stored (a RoomError code)
    ROOM_MEANT = "room_meant"  # the "no, I meant ..." digit pills
    ROOM_HIDE_ID = "room_hide_id"  # the presenter's: which drawing to hide
    ROOM_CLEAR_SURE = "room_clear_sure"  # the presenter's confirmation before clearing the room
    LESSON_STEP = "lesson_step"  # 0 to 6: the tutorial's step on screen


# Widgets whose values must outlive their section: Streamlit forgets the state of a widget that a
# run does not draw, so these are written back on every run (`keep_widgets`).
WIDGET_DEFAULTS = {
    Key.TRAIN_EPOCHS: TUTORIAL_TRAIN.epochs,
    Key.TRAIN_LR: TUTORIAL_TRAIN.lr,
    Key.TRAIN_BATCH: TUTORIAL_TRAIN.batch_size,
    Key.TRAIN_HIDDEN: ", ".join(str(h) for h in TUTORIAL_MODEL.hidden),
    Key.TRAIN_SEED: TUTORIAL_TRAIN.seed,
    Key.SAVE_NAME: "",
    Key.TEST_ONLY_WRONG: False,
    Key.TEST_INDEX: TUTORIAL_INDEX,
    Key.DATA_INDEX: 0,
    Key.SECTION: SECTIONS[0],
    Key.PRESENTER: False,
    Key.LESSON_STEP: 0,
}
DEFAULTS = WIDGET_DEFAULTS | {
    Key.ACTIVE: None,
    Key.TRAINED: None,
    Key.TRAIN_JOB: None,
    Key.DATA_ERROR: None,
    Key.FLASH: None,
    Key.URL_READ: False,
    Key.MODEL_SELECT: None,
    Key.IS_PRESENTER: False,
    Key.PRESENTER_KEY: "",
    Key.ROOM_SESSION: None,
    Key.ROOM_PENDING: None,
    Key.ROOM_SAVED: None,
    Key.ROOM_ERROR: None,
    Key.ROOM_MEANT: None,
    Key.ROOM_HIDE_ID: 1,
    Key.ROOM_CLEAR_SURE: False,
}
NICK_LETTERS = "ACDEFHJKLMNPRTUVWXY34679"  # no look-alikes (0/O, 1/I, 5/S, 8/B, 2/Z)


def init() -> None:
    """At the top of every run: defaults for missing keys, and the widgets' values kept."""
    state = st.session_state
    for key, default in DEFAULTS.items():
        if key not in state:
            state[key] = default
    for key in WIDGET_DEFAULTS:
        state[key] = state[key]  # re-set: the value survives a run that does not draw its widget
    if Key.NICK not in state:
        state[Key.NICK] = "".join(secrets.choice(NICK_LETTERS) for _ in range(3))


def get(key: str):
    return st.session_state[key]


def put(key: str, value) -> None:
    st.session_state[key] = value
