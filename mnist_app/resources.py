"""What every session shares, loaded once per server: the data, the checkpoints' models, test predictions.

Shared means read-only: the arrays are flagged non-writeable and the models are only ever used for
inference in eval mode. `st.cache_resource`, not `st.cache_data`, for the arrays: cache_data would
unpickle a private copy of ~300 MB on every rerun of every session.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import streamlit as st
import torch
from torch import nn

from mnist_core import data as mdata
from mnist_core.model import predict_proba

from . import state
from .i18n import t
from .state import Key

logger = logging.getLogger(__name__)
# The shared arrays are read-only on purpose; torch warns when it wraps one without copying.
warnings.filterwarnings("ignore", message="The given NumPy array is not writable")


@dataclass(frozen=True)
class Dataset:
    mnist: mdata.Mnist  # all 70000 rows in mnist_784 order, uint8
    split: mdata.Split  # the seed split, float32 in [0, 1]
    test_rows: np.ndarray  # (10000,) the data set row of each test image


@st.cache_resource(show_spinner=False)
def load_dataset() -> Dataset:
    mnist = mdata.load_mnist()
    split = mdata.seed_split(mnist)
    test_rows = mdata.split_rows(len(mnist.labels))[1]
    for array in (mnist.images, mnist.labels, split.x_train, split.y_train, split.x_test, split.y_test, test_rows):
        array.flags.writeable = False
    return Dataset(mnist, split, test_rows)


def require_data(section: str) -> Dataset | None:
    """The data, with a spinner the first time; None, after saying why and what to do, without it."""
    code = state.get(Key.DATA_ERROR)
    if code is None:
        try:
            with st.spinner(t("data.loading")):
                return load_dataset()
        except (mdata.DataError, OSError) as e:
            logger.warning("MNIST cannot be loaded: %s", e)
            # Remembered per session, so a missing network is not waited for again on every rerun.
            code = getattr(e, "code", "unreadable")
            state.put(Key.DATA_ERROR, code)
    st.error(t(f"data.error.{code}"))
    st.info(t("data.help"))
    st.button(t("data.retry"), key=f"data_retry_{section}", on_click=state.put, args=(Key.DATA_ERROR, None))
    return None


def predict(model: nn.Module, x: np.ndarray) -> np.ndarray:
    """Probabilities (B, 10) for inputs (B, 784) in [0, 1]."""
    # A read-only array (the shared test images are) is copied: torch.from_numpy would
    # warn on every server that the tensor is not writable.
    x = np.ascontiguousarray(x, dtype=np.float32)
    return predict_proba(model, torch.from_numpy(x) if x.flags.writeable else torch.tensor(x)).numpy()


@st.cache_data(max_entries=16, show_spinner=False)
def test_probabilities(cache_id: str, _model: nn.Module, _x_test: np.ndarray) -> np.ndarray:
    """A model's probabilities (N, 10) for every test image, computed once per model (`cache_id`)."""
    return np.concatenate([predict(_model, _x_test[i : i + 2000]) for i in range(0, len(_x_test), 2000)])


@st.cache_resource(show_spinner=False)
def room_store():
    """The room's database (mnist_app.room), one per server process: thread-safe, opened lazily."""
    from .room import open_store

    return open_store()


@st.cache_resource(show_spinner=False)
def room_queue():
    """The training queue in the room's database (mnist_app.room.queue), one per server process."""
    from .room.queue import JobQueue

    return JobQueue(room_store())


@st.cache_resource(show_spinner=False)
def room_shelf():
    """The models saved in the room's database and its default (mnist_app.room.shelf)."""
    from .room.shelf import Shelf

    return Shelf(room_store())
