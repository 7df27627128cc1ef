"""Fixtures for the app's tests: tiny synthetic MNIST, a folder of tiny checkpoints, a fresh AppTest.

The app reads its data through `mnist_core.data.load_mnist` and its checkpoints from
$MNIST_CHECKPOINT_DIR; AppTest runs the script in this process, so patching the one and setting the
other is all it takes to run every section in a second instead of loading 70000 real images.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from bench.prerequisites import need, on_ci  # noqa: F401  (the tests take them from here)

REPO = Path(__file__).resolve().parent.parent
TINY_ROWS = 14_140  # the seed split's test part gets 2020 rows: index 2018, the tutorial's, exists
APP_TIMEOUT = 120  # seconds per AppTest run; the first run imports torch, slow on a busy machine


PG_ENV = "MNIST_TEST_PG_URL"  # a PostgreSQL server the room's tests may make databases on (.ci/postgres.sh)


@contextlib.contextmanager
def fresh_database(prefix: str = "room"):
    """A new, empty database on the test PostgreSQL server ($MNIST_TEST_PG_URL); its URL. Dropped afterwards."""
    import uuid

    import sqlalchemy as sa

    need(bool(os.environ.get(PG_ENV)), f"{PG_ENV} is not set: source .ci/postgres.sh for a PostgreSQL server")
    server = sa.make_url(os.environ[PG_ENV])
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
        admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def components_scanned_once():
    """Each new AppTest scans every installed package's metadata for Streamlit components: 2 s of an
    AppTest's 2.2 s (cProfile of seven AppTests, 14.5 of 16 s), once per AppTest and about 300 of them
    in the suite. The installed packages do not change during a test session: one scan serves all."""
    import functools

    from streamlit.components.v2 import manifest_scanner

    scan = functools.cache(manifest_scanner.scan_component_manifests)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(manifest_scanner, "scan_component_manifests", lambda *a, **k: list(scan(*a, **k)))
        yield


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def location(request, tmp_path):
    """A fresh, empty room: a SQLite file path, or a new database on the test PostgreSQL server."""
    if request.param == "sqlite":
        yield str(tmp_path / "room" / "room.sqlite3")
        return
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="session")
def tiny_mnist():
    """14140 synthetic 28x28 digits: each class a fixed random blob plus noise, so a small net can learn it."""
    from mnist_core.data import Mnist

    rng = np.random.default_rng(0)
    prototypes = (rng.random((10, 784)) > 0.8).astype(np.float32)
    labels = rng.integers(0, 10, TINY_ROWS).astype(np.int64)
    noise = rng.random((TINY_ROWS, 784), dtype=np.float32)
    images = np.clip(prototypes[labels] * 200 + noise * 120, 0, 255).astype(np.uint8)
    return Mnist(images=images, labels=labels, source="tiny synthetic test data")


def write_tiny_checkpoint(path: Path, hidden: tuple[int, ...], accuracy: float, seed: int = 0) -> Path:
    from mnist_core.checkpoints import save_checkpoint
    from mnist_core.config import ModelConfig, TrainConfig
    from mnist_core.train import new_model

    config = ModelConfig(hidden=hidden)
    model = new_model(config, seed, "cpu").eval()
    return save_checkpoint(path, model, model_config=config, train_config=TrainConfig(epochs=1), metrics={"accuracy": accuracy})


@pytest.fixture(scope="session")
def tiny_checkpoint_files(tmp_path_factory) -> Path:
    """Untrained tiny checkpoints, made once: `tutorial` (the default name), `wide`, and a broken file."""
    folder = tmp_path_factory.mktemp("tiny_checkpoints")
    write_tiny_checkpoint(folder / "tutorial.pt", (16,), accuracy=0.10)
    write_tiny_checkpoint(folder / "wide.pt", (32,), accuracy=0.20, seed=1)
    (folder / "broken.pt").write_bytes(b"not a checkpoint at all")
    return folder


def clear_streamlit_caches() -> None:
    # st.cache_* live in the process: without this one test's tiny data would feed the next test.
    import streamlit as st

    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def checkpoint_dir(tiny_checkpoint_files, tmp_path, monkeypatch) -> Path:
    """A private copy of the tiny checkpoints (tests save into it), as the app's checkpoint folder."""
    folder = tmp_path / "checkpoints"
    shutil.copytree(tiny_checkpoint_files, folder)
    monkeypatch.setenv("MNIST_CHECKPOINT_DIR", str(folder))
    return folder


@pytest.fixture
def no_data(tmp_path, monkeypatch) -> Path:
    """MNIST_DATA_DIR names a folder that does not exist: the data cannot be had."""
    missing = tmp_path / "no-mnist-here"
    monkeypatch.setenv("MNIST_DATA_DIR", str(missing))
    clear_streamlit_caches()
    yield missing
    clear_streamlit_caches()


@pytest.fixture
def tiny_data(tiny_mnist, monkeypatch):
    """The app's data is the tiny synthetic set; returns the seed split the app will see."""
    import mnist_core.data as mdata

    monkeypatch.setattr(mdata, "load_mnist", lambda **kwargs: tiny_mnist)
    clear_streamlit_caches()
    yield mdata.seed_split(tiny_mnist)
    clear_streamlit_caches()


@pytest.fixture
def app_test(checkpoint_dir, monkeypatch):
    """A factory of fresh AppTest sessions of app.py, run once: `make(lang, **query)` opens the page
    as a browser would open `app.py?lang=...&section=...`."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.chdir(REPO)
    if not os.environ.get("MNIST_ROOM_DB"):  # never the default folder in the home directory
        monkeypatch.setenv("MNIST_ROOM_DB", str(checkpoint_dir.parent / "room.sqlite3"))

    def make(lang: str | None = "en", **query):
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=APP_TIMEOUT)
        at.query_params.update({"lang": lang} if lang else {})
        at.query_params.update({k: str(v) for k, v in query.items()})
        return at.run()

    with training_worker(os.environ["MNIST_ROOM_DB"]):  # AppTest has no server, so no worker of its own
        yield make


@contextlib.contextmanager
def training_worker(location: str, **options):
    """A training worker (mnist_app.worker.serve, as `python -m mnist_app.worker` runs it) in a thread of
    this process, so that it reads the data the tests patch in; stopped, training and all, at the end.
    `options`: serve's `worker` (its name) and `load` (its data)."""
    import threading

    from mnist_app import worker
    from mnist_app.room import open_store

    store, stop, halt = open_store(location), threading.Event(), threading.Event()
    thread = threading.Thread(target=worker.serve, args=(store, stop), kwargs={"halt": halt, **options}, name="test-worker", daemon=True)
    thread.start()
    try:
        yield
    finally:
        halt.set(), stop.set()
        thread.join(30)
        store.close()
