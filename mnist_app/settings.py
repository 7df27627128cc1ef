"""Every setting of the app in one place: environment variables, limits and fixed sizes.

Environment: MNIST_DATA_DIR (a folder of MNIST IDX files; else OpenML, read by mnist_core.data),
MNIST_CHECKPOINT_DIR (read by mnist_core.checkpoints, shared with the command line),
MNIST_APP_TRAIN_THREADS (torch threads for a training; default torch's own),
MNIST_APP_MAX_TRAIN_S (the longest training, estimated, the server accepts; default 300 s),
MNIST_PRESENTER_KEY (unlocks the presenter's actions; unset: nobody has them),
MNIST_WORKERS (training worker processes `streamlit run app.py` starts beside itself; default 1, 0:
none, they run elsewhere with `python -m mnist_app.worker`), MNIST_ROOM_DB (the room's database: a
SQLite path or a SQLAlchemy URL), MNIST_ROOM_TIMEOUT_S (the longest wait for it). OMP_WAIT_POLICY is
a process setting, set in app.py before torch loads (it says why). No streamlit here: the room's
store and the worker read these too.
"""

from __future__ import annotations

import os
from pathlib import Path

from mnist_core.presets import PRESETS

TUTORIAL_MODEL, TUTORIAL_TRAIN = PRESETS["tutorial"]
TUTORIAL_INDEX = 2018  # the test image the tutorial predicts
CANVAS_PX = 336  # 12 screen pixels per MNIST pixel; fits a 390-px phone with Streamlit's margins
STROKE_PX = 24  # about MNIST's pen relative to a 20-px digit box drawn 12x larger
POLL_S = 1.0  # how often a running training's progress is redrawn (each redraw takes the GIL from it)
QUEUE_POLL_S = 2.0  # a waiting session's place in the queue changes seldom: redrawn less often
ABANDON_S = 300  # a training nobody has looked at for this long (tab closed) is stopped
# Below this confidence the answer says it is unsure and shows the top two. Measured on the seed
# split's 10000 test images with best_mlp.pt (99.31%): under 0.9 it is right on 71% of the 170 such
# images (every 10-point bin under 0.8 is at 75% or below, 0.8-0.9 at 83%); from 0.9 to 0.95 on 89%;
# above 0.95 on 99.9%.
# (tests/test_app_calibration.py checks the rule on the shipped default checkpoint.)
UNSURE_BELOW = 0.9
# What the Train section accepts (training.parse_options); its refusals name these (train.invalid.*).
LIMITS = {"epochs": 100, "lr": 1, "hidden": 4096, "layers": 6, "batch_size": 60_000, "seed": 2**32 - 1}


def max_train_seconds() -> float:
    """The longest training the server accepts, by its estimate: a room shares one training slot."""
    return float(os.environ.get("MNIST_APP_MAX_TRAIN_S") or 300)


def presenter_key() -> str:
    return os.environ.get("MNIST_PRESENTER_KEY", "")


def train_threads(default: int) -> int:
    """torch threads for a training: $MNIST_APP_TRAIN_THREADS, else `default` (torch's own count).

    The thread count changes the order of float sums; with the command line's count a training from
    the page gives exactly the weights `python -m mnist_core train` gives.
    """
    return max(1, int(os.environ.get("MNIST_APP_TRAIN_THREADS") or default))


def local_workers() -> int:
    """How many training workers this server starts ($MNIST_WORKERS, default 1; bad values mean 1)."""
    text = os.environ.get("MNIST_WORKERS", "1").strip()
    return min(int(text), 8) if text.isdigit() else 1


ROOM_TIMEOUT_S = 5.0  # the longest one wait for the room's database lasts: then the page says it is unavailable


def room_location() -> str:
    """The room's database: $MNIST_ROOM_DB (a SQLAlchemy URL or a SQLite file path), else a SQLite file
    in the user's data folder (never the repository)."""
    return os.environ.get("MNIST_ROOM_DB") or str(Path.home() / ".local" / "share" / "mnist_mlp_demo" / "room.sqlite3")


def room_timeout_s() -> float:
    """$MNIST_ROOM_TIMEOUT_S, else ROOM_TIMEOUT_S; ValueError (one line) for anything but 0.5 to 60 seconds."""
    raw = os.environ.get("MNIST_ROOM_TIMEOUT_S", "").strip()
    try:
        value = float(raw) if raw else ROOM_TIMEOUT_S
    except ValueError:
        value = -1.0
    if not 0.5 <= value <= 60:
        raise ValueError(f"MNIST_ROOM_TIMEOUT_S={raw[:20]!r}: not a number of seconds from 0.5 to 60")
    return value


def public_url() -> str:
    """The address participants open when the server is behind a proxy or a tunnel ($MNIST_PUBLIC_URL)."""
    return os.environ.get("MNIST_PUBLIC_URL", "").strip()
