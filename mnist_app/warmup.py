"""Work done once per server, in the background, as soon as the first page is drawn: the data, the seed
split and the default model's predictions for the test images, so nobody waits for them on a click.

Streamlit runs no app code before the first visitor; this starts at the end of that visitor's first
run, after the canvas is on their screen. Measured with bench/bench_startup.py (README).
"""

from __future__ import annotations

import logging
import threading

from streamlit import config

from mnist_core import checkpoints as ckpt

from .models import read_checkpoint
from .resources import load_dataset, test_probabilities
from .settings import checkpoint_dir

logger = logging.getLogger(__name__)
_started = threading.Event()  # once per server process


def start() -> None:
    # Not under AppTest: its tests swap the data source between runs, which a background load would race.
    if not _started.is_set() and not config.get_option("global.appTest"):
        _started.set()
        threading.Thread(target=_warm, name="warmup", daemon=True).start()


def _warm() -> None:
    try:
        data = load_dataset()
        path = ckpt.default_checkpoint_path(checkpoint_dir())
        info = path.stat()
        model = read_checkpoint(str(path), (info.st_mtime_ns, info.st_size))
        if model is not None:
            test_probabilities(model.cache_id, model.model, data.split.x_test)
    except Exception as e:  # no data here (offline, no folder): the sections say so when opened
        logger.info("warm-up stopped: %s", e)
