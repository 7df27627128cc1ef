"""Work done once per server before its first visitor: the data, the seed split, the default model's
predictions for the test images and every section's module (with them pandas, torch, scikit-learn,
matplotlib), so that nobody waits for them, not even the first page.

`streamlit run app.py` runs app.py's `st.App`, whose `lifespan` runs this before the server opens
(at most WAIT_S), and starts the server's own training workers (MNIST_WORKERS, mnist_app.worker),
which it ends when the server stops. AppTest has no lifespan, and needs none: its tests swap the data source between
runs, which a background load would race. Measured with bench/bench_startup.py (README): the first
page's canvas usable 1.4-1.6 s after opening it, against 2.0-2.8 s when the warm-up began with the
first visitor, who then waited for pandas among others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time

logger = logging.getLogger(__name__)
WAIT_S = 20  # the longest the server's start waits for the warm-up (here: 4.7-5.6 s with the data on disk)


@contextlib.asynccontextmanager
async def lifespan(app):
    """The server's start (`streamlit run app.py` runs app.py's `st.App`): the server opens to
    visitors once warm, so its first visitor waits for none of this (bench/bench_startup.py)."""
    from . import worker
    from .settings import local_workers

    workers = worker.spawn(local_workers())
    began, warming = time.perf_counter(), threading.Thread(target=_warm, name="warmup", daemon=True)
    warming.start()
    # At most WAIT_S: data fetched from OpenML (no local copy) can take minutes; it goes on meanwhile.
    await asyncio.to_thread(warming.join, WAIT_S)
    done = "warm" if not warming.is_alive() else f"still warming after {WAIT_S} s; open anyway"
    logger.info("%s (%.1f s): data, default model, test predictions, every section's module; %d training worker(s)",
                done, time.perf_counter() - began, len(workers))  # fmt: skip
    from .join import join_url

    logger.info("participants join at %s (the presenter's join card shows it as a QR code)", join_url("ko"))
    try:
        yield
    finally:
        worker.end(workers)


def _warm() -> None:
    import streamlit.emojis  # noqa: F401  (st.set_page_config's check of the page icon: 0.15 s of regular expressions)

    from mnist_core.checkpoints import remove_leftovers

    from . import sections

    remove_leftovers()  # temporary files of saves killed before their rename (kill -9): up to 7.4 MB each
    try:
        _load()
    except Exception as e:  # no data here (offline, no folder): the sections say so when opened
        logger.info("warm-up stopped: %s", e)
    # After the data, the test images' module first (most often opened first), then the others.
    for section in ("test", *sections.MODULES):  # scikit-learn, matplotlib: 2 s of imports on 2 shared cores
        sections.module(section)


def _load() -> None:
    from mnist_core import checkpoints as ckpt
    from mnist_core.config import checkpoint_dir

    from .catalogue import read_checkpoint
    from .resources import load_dataset, test_probabilities

    data = load_dataset()
    path = ckpt.default_checkpoint_path(checkpoint_dir())
    info = path.stat()
    model = read_checkpoint(str(path), (info.st_mtime_ns, info.st_size))
    if model is not None:
        test_probabilities(model.cache_id, model.model, data.split.x_test)
