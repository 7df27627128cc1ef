"""The session's state: every key in one place, with its default.

`st.session_state` holds what is one person's (their language, section, active model, a model they
trained, their training job, their widgets' values). Nothing else in the app names a key by string.
"""

from __future__ import annotations

import hashlib
import secrets

import streamlit as st

from .settings import TUTORIAL_INDEX, TUTORIAL_MODEL, TUTORIAL_TRAIN

OWN_MODEL = ":trained"  # the `ACTIVE` value meaning the session's own, unsaved model (no file has ':')
SECTIONS = ("draw", "lesson", "test", "evaluate", "inside", "train", "data", "model", "room", "board")


class Key:
    LANG = "lang"
    SECTION = "section"
    PRESENTER = "presenter"
    ACTIVE = "active"  # a checkpoint's name, or OWN_MODEL
    TRAINED = "trained"  # this session's trained model (a models.ModelChoice), until saved
    TRAIN_JOB = "train_job"  # the id of this session's training in the room's queue (room.queue.Job)
    TRAIN_COLLECTED = "train_collected"  # that training's end has been taken note of
    TRAIN_SEEN = "train_seen"  # time.monotonic() when the page last told the queue it still looks
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
    TOKEN = "token"  # the participant: an unguessable per-browser token (identity.py); owns models, jobs, drawings
    TOKEN_CHECKED = "token_checked"  # the queue was asked once whether this participant had a training going
    NICK = "nick"  # a short anonymous name derived from the token, shown to others: display only
    IDENTITY = "participant_identity"  # the component that keeps the token in the browser (its value: {"token"})
    IS_PRESENTER = "is_presenter"  # this session gave the presenter key
    PRESENTER_KEY = "presenter_key"  # the key field in the Model section
    KEY_GUESSES = "presenter_guesses"  # time.monotonic() of this session's recent wrong presenter keys
    KEY_LOCKED_UNTIL = "presenter_locked_until"  # time.monotonic() until which this session may not try a key
    PRESENTER_PASS = "presenter_pass"  # a pass just issued for the key (presenter_access.issue_pass), for the browser to keep
    PASS_FORGET = "presenter_pass_forget"  # the browser should drop its pass (expired, refused, or given up)
    MODEL_NOTICE = "model_notice"  # (form, level, catalogue key, values): a Model form's last outcome, shown under it
    ROOM_PENDING = "room_pending"  # the drawing on screen, for the "right?" tap's callback
    ROOM_SAVED = "room_saved"  # the fingerprint of the last drawing stored: one drawing, stored once
    ROOM_ERROR = "room_error"  # why the last drawing was not stored (a RoomError code)
    ROOM_MEANT = "room_meant"  # the "no, I meant ..." digit pills
    ROOM_REVEAL = "room_reveal"  # what to scroll into view after a tap or Clear: (selector, block, nonce) or None
    ROOM_HIDE_ID = "room_hide_id"  # the presenter's: which drawing to hide
    ROOM_HIDE_WHO = "room_hide_who"  # the presenter's: whose drawings to hide (a token; the page shows the nickname)
    ROOM_ACTION_ERROR = "room_action_error"  # the presenter's last action on the room failed: a RoomError code
    ROOM_CLEAR_SURE = "room_clear_sure"  # the presenter's confirmation before clearing the room
    LESSON_STEP = "lesson_step"  # 0 to 6: the tutorial's step on screen
    EVAL_TRUE = "evaluate_true"  # the mistakes shown: this true digit ("*": any); the matrix's click sets it too
    EVAL_READ = "evaluate_read"  # the mistakes shown: this digit read ("*": any)
    EVAL_MATRIX = "evaluate_matrix"  # the clickable confusion matrix (a chart: its state cannot be written)
    EVAL_MATRIX_SEEN = "evaluate_matrix_seen"  # the matrix's selection at the last run: a click is what changed
    EVAL_GALLERY = "evaluate_gallery"  # the clickable misclassified digits (a chart)
    EVAL_GALLERY_SEEN = "evaluate_gallery_seen"  # the gallery's selection at the last run
    EVAL_OPEN = "evaluate_open"  # the test image opened from the gallery, or None
    EVAL_OTHER = "evaluate_other"  # the second model to compare with
    BOARD_COLOUR = "board_colour"  # the setting the board's curves are coloured by (room.board.SETTINGS)
    BOARD_WATCH = "board_watch"  # the running training the board's live view shows (a job id)
    BOARD_REPLAY = "board_replay"  # the finished run the board replays (a job id)
    BOARD_STEP = "board_step"  # the replay slider's position (a snapshot's index; out of range: the last)
    BOARD_REMOVE = "board_remove"  # the presenter's: which run to take off the board (a job id)
    BOARD_CLEAR_SURE = "board_clear_sure"  # the presenter's confirmation before clearing the board
    LIVE_STEP = "live_step"  # the Train section's replay slider of the session's own training
    RETRAIN_JOB = "retrain_job"  # the presenter's retraining on the room's drawings (a job id)
    RETRAIN_NAME = "retrain_name"  # the name the retrained model is saved under
    INSIDE_INDEX = "inside_index"  # the test image Inside shows (when not the drawing)
    FOLLOWING = "following"  # this participant's page moves with the presenter's (mnist_app.follow)
    FOLLOW_APPLIED = "follow_applied"  # the position the page last took from the presenter (room.presence.Position)
    FOLLOW_PENDING = "follow_pending"  # a position to take at the start of the next run
    FOLLOW_SEQ = "follow_seq"  # the presenter's row's seq last read (0: no presenter yet)
    FOLLOW_READ = "follow_read"  # the page has read that row once; since then it reads when the watcher says
    FOLLOW_WATCH = "follow_watcher"  # the invisible component that polls the presenter's seq (components/watch.py)
    PUBLISHED = "published"  # the presenter's: the position last published to the room
    QUESTION_VIEW = "question_view"  # the question on screen as this page shows it (follow.question_view)
    QUESTION_ANSWER = "question_answer"  # the participant's answer pills
    JOIN_SHOWN = "join_shown"  # the presenter's: the join card is on screen
    JOIN_FULL = "join_full"  # the presenter's: and covers the screen
    ASK_KIND = "ask_kind"  # the presenter's: the kind of question to ask (room.questions.KINDS)
    ASK_SOURCE = "ask_source"  # the presenter's: the picture of a "predict" question (asking.SOURCES)
    ASK_SETTINGS = "ask_settings"  # the presenter's: the settings of a "which trains best" question


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
    Key.EVAL_TRUE: "*",
    Key.EVAL_READ: "*",
    Key.INSIDE_INDEX: TUTORIAL_INDEX,
}
DEFAULTS = WIDGET_DEFAULTS | {
    Key.ACTIVE: None,
    Key.TRAINED: None,
    Key.TRAIN_JOB: None,
    Key.TRAIN_COLLECTED: False,
    Key.TRAIN_SEEN: 0.0,
    Key.TOKEN_CHECKED: True,  # a new token has no trainings; identity.py clears it for a returning browser
    Key.DATA_ERROR: None,
    Key.FLASH: None,
    Key.URL_READ: False,
    Key.MODEL_SELECT: None,
    Key.IS_PRESENTER: False,
    Key.PRESENTER_KEY: "",
    Key.KEY_GUESSES: (),
    Key.KEY_LOCKED_UNTIL: 0.0,
    Key.PRESENTER_PASS: None,
    Key.PASS_FORGET: False,
    Key.MODEL_NOTICE: None,
    Key.ROOM_PENDING: None,
    Key.ROOM_SAVED: None,
    Key.ROOM_ERROR: None,
    Key.ROOM_MEANT: None,
    Key.ROOM_REVEAL: None,
    Key.ROOM_HIDE_ID: 1,
    Key.ROOM_HIDE_WHO: None,
    Key.ROOM_ACTION_ERROR: None,
    Key.ROOM_CLEAR_SURE: False,
    Key.EVAL_MATRIX_SEEN: frozenset(),
    Key.EVAL_GALLERY_SEEN: frozenset(),
    Key.EVAL_OPEN: None,
    Key.BOARD_COLOUR: "lr",
    Key.BOARD_WATCH: None,
    Key.BOARD_REPLAY: None,
    Key.BOARD_STEP: -1,
    Key.BOARD_REMOVE: None,
    Key.BOARD_CLEAR_SURE: False,
    Key.LIVE_STEP: -1,
    Key.RETRAIN_JOB: None,
    Key.RETRAIN_NAME: "",
    Key.FOLLOWING: False,  # True for a page opened by the join card's address (?follow=1); the button turns it on
    Key.FOLLOW_APPLIED: None,
    Key.FOLLOW_PENDING: None,
    Key.FOLLOW_SEQ: 0,
    Key.FOLLOW_READ: False,
    Key.PUBLISHED: None,
    Key.QUESTION_VIEW: None,
    Key.JOIN_SHOWN: False,
    Key.JOIN_FULL: False,
    Key.ASK_KIND: "predict",
    Key.ASK_SOURCE: "test",
    Key.ASK_SETTINGS: ["lr0.001", "lr0.1"],
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
    if Key.TOKEN not in state:  # until the browser's own arrives (identity.py), this session's
        adopt_token(secrets.token_hex(16))


def adopt_token(token: str) -> None:
    """The participant's token, and the nickname that goes with it (the same in every tab of a browser)."""
    st.session_state[Key.TOKEN] = token
    st.session_state[Key.NICK] = nick_of(token)


def nick_of(token: str) -> str:
    """The nickname others see for a token (three letters from a hash of it: it tells nothing of the token)."""
    digest = hashlib.sha256(token.encode("ascii", "replace")).digest()
    return "".join(NICK_LETTERS[b % len(NICK_LETTERS)] for b in digest[:3])


def get(key: str):
    return st.session_state[key]


def put(key: str, value) -> None:
    st.session_state[key] = value
