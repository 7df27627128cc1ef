"""Temporary files left by saves killed before their rename (`kill -9`, a power cut) are removed at
start, by `python -m mnist_core train` and the app's warm-up; a save in progress elsewhere is not."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from helpers_core import REPO
from mnist_core.checkpoints import remove_leftovers
from test_core_cli import run_main

# A save killed mid-write, as `kill -9` kills it: half the bytes are in the temporary file, no rename.
KILLED_SAVE = """
import os, signal, sys
from pathlib import Path
from mnist_core.checkpoints import _write_atomic

def half_then_killed(f):
    f.write(b"x" * 100_000)
    f.flush()
    os.kill(os.getpid(), signal.SIGKILL)

_write_atomic(Path(sys.argv[1]), half_then_killed)
"""


def killed_save(path: Path) -> Path:
    """Run a save that is killed before its rename; the temporary file it left."""
    done = subprocess.run([sys.executable, "-c", KILLED_SAVE, str(path)], cwd=REPO, timeout=120)
    assert done.returncode == -9
    (left,) = [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    assert left.name.startswith(f".{path.name}.") and left.stat().st_size == 100_000 and not path.exists()
    return left


def age(path: Path, seconds: float) -> Path:
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def test_a_killed_save_leaves_a_temporary_file_that_is_removed_once_old(tmp_path):
    left = killed_save(tmp_path / "model.pt")
    assert remove_leftovers(tmp_path) == []  # a minute may not have passed: it could be a save going on
    assert left.exists()
    age(left, 61)
    assert remove_leftovers(tmp_path) == [left] and not left.exists()


def test_only_old_temporary_files_of_saves_are_removed(tmp_path):
    kept = {
        "model.pt": b"a checkpoint",
        "notes.tmp": b"someone's file",
        ".model.pt.tmp": b"no random part",
        ".model.pt.abc.tmp": b"random part too short",
        ".model.pt.ABCDEFGH.tmp": b"not mkstemp's letters",
    }
    for name, body in kept.items():
        (tmp_path / name).write_bytes(body)
        age(tmp_path / name, 3600)
    old = tmp_path / ".model.pt.k3_9zq0a.tmp"
    old.write_bytes(b"half")
    age(old, 120)
    fresh = tmp_path / ".other.pt.a1b2c3d4.tmp"
    fresh.write_bytes(b"a save going on in another process")
    (tmp_path / ".dir.pt.abcdefgh.tmp").mkdir()
    age(tmp_path / ".dir.pt.abcdefgh.tmp", 3600)
    assert remove_leftovers(tmp_path) == [old]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*kept, fresh.name, ".dir.pt.abcdefgh.tmp"])
    assert remove_leftovers(tmp_path / "absent") == []


def test_train_from_the_command_line_removes_them_first(tmp_path, capsys, monkeypatch):
    import mnist_core.__main__ as cli
    from mnist_core.data import Mnist

    left = age(killed_save(tmp_path / "tiny.pt"), 120)
    rng = np.random.default_rng(0)
    tiny = Mnist(rng.integers(0, 256, (700, 784), dtype=np.uint8), rng.integers(0, 10, 700), "tiny")
    monkeypatch.setattr(cli, "load_mnist", lambda data_dir=None: tiny)
    code, out, err = run_main(["train", "--epochs", "1", "--hidden", "8", "--out", tmp_path / "tiny.pt"], capsys)
    assert code == 0, err
    assert not left.exists() and (tmp_path / "tiny.pt").is_file()
    assert out.splitlines()[0] == f"Removed 1 temporary file(s) of interrupted saves from {tmp_path}"


def test_the_apps_warm_up_removes_them(tmp_path, monkeypatch):
    from mnist_app import warmup

    monkeypatch.setenv("MNIST_CHECKPOINT_DIR", str(tmp_path))
    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path / "no-data"))  # the warm-up's data part stops at once
    left = age(killed_save(tmp_path / "saved.pt"), 120)
    monkeypatch.setattr("mnist_app.sections.module", lambda section: None)  # not the sections' imports here
    warmup._warm()
    assert not left.exists()
