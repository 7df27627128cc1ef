"""Drawings added to the training set (`train --drawings FILE`, mnist_core.mixing) and the room split
by participant for retraining (held-out participants never trained on)."""

from __future__ import annotations

import numpy as np
import pytest

import mnist_core.__main__ as cli
from mnist_core.checkpoints import load_checkpoint
from mnist_core.data import seed_split
from mnist_core.drawings import save_drawings
from mnist_core.mixing import MAX_REPEAT, add_drawings, held_out, repeats, split_drawings


def drawings_file(path, n: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    images = (rng.random((n, 784)) > 0.7).astype(np.uint8) * 255
    labels = rng.integers(0, 10, n).astype(np.uint8)
    return save_drawings(path, images, labels), images, labels


def test_repeats_make_a_few_hundred_drawings_matter():
    assert repeats(300, 60_000) == 10  # 3000 rows: 5% of the training set
    assert repeats(3, 60_000) == MAX_REPEAT and repeats(100_000, 60_000) == 1 and repeats(0, 60_000) == 0


def test_train_with_drawings_adds_exactly_the_files_digits(tmp_path, tiny_mnist, monkeypatch, capsys):
    path, images, labels = drawings_file(tmp_path / "room.npz", 37)
    seen = {}

    def spy(model_config, train_config, split, **kwargs):
        seen["split"] = split
        return real(model_config, train_config, split, **kwargs)

    real = cli.run_training
    monkeypatch.setattr(cli, "load_mnist", lambda **kwargs: tiny_mnist)
    monkeypatch.setattr(cli, "run_training", spy)
    out = tmp_path / "with.pt"
    argv = ["train", "--epochs", "1", "--hidden", "16", "--batch-size", "256", "--drawings", str(path), "--out", str(out)]
    assert cli.main(argv) == 0, capsys.readouterr().err
    base, repeat = seed_split(tiny_mnist), repeats(37, len(seed_split(tiny_mnist).x_train))
    x = seen["split"].x_train
    assert len(x) == len(base.x_train) + 37 * repeat
    np.testing.assert_array_equal(x[: len(base.x_train)], base.x_train)
    np.testing.assert_array_equal(x[len(base.x_train) :], np.tile(images / np.float32(255), (repeat, 1)))
    np.testing.assert_array_equal(seen["split"].y_train[len(base.y_train) :], np.tile(labels, repeat))
    record = load_checkpoint(out).metrics["drawings"]
    assert record == {"source": "room.npz", "count": 37, "repeat": repeat, "rows": 37 * repeat,
                      "per_digit": np.bincount(labels, minlength=10).tolist()}  # fmt: skip


def test_train_with_a_bad_drawings_file_is_one_line(tmp_path, capsys, tiny_mnist, monkeypatch):
    monkeypatch.setattr(cli, "load_mnist", lambda **kwargs: tiny_mnist)
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    code = cli.main(["train", "--epochs", "1", "--drawings", str(tmp_path / "bad.npz"), "--out", str(tmp_path / "x.pt")])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error:") and len(err.strip().splitlines()) == 1 and not (tmp_path / "x.pt").exists()
    with pytest.raises(SystemExit) as exited:
        cli.main(["train", "--drawings-repeat", "0", "--drawings", "x"])
    assert exited.value.code == 2 and "--drawings-repeat" in capsys.readouterr().err


@pytest.mark.parametrize("participants", [2, 3, 7, 30])
def test_held_out_participants_are_never_trained_on(participants):
    rng = np.random.default_rng(participants)
    who = [f"{rng.integers(participants):032x}" for _ in range(400)]
    x = np.arange(400, dtype=np.float32)[:, None].repeat(784, 1)  # each drawing unique: its row says which
    y = rng.integers(0, 10, 400)
    out = held_out(who, salt="s")
    assert 1 <= len(out) < len(set(who)) and out == held_out(list(reversed(who)), salt="s")
    (x_in, _), (x_out, _) = split_drawings(x, y, who, out)
    trained_rows = {int(v) for v in x_in[:, 0]}
    for i, p in enumerate(who):
        assert (i in trained_rows) == (p not in out)
    assert len(x_in) + len(x_out) == 400
    split = add_drawings(seed_split_stub(), x_in, np.zeros(len(x_in), np.int64), 3)
    assert not {int(v) for v in split.x_train[:, 0]} & {int(v) for v in x_out[:, 0]}


def seed_split_stub():
    from mnist_core.data import Split

    empty = np.zeros((0, 784), np.float32)
    return Split(empty, np.zeros(0, np.int64), empty, np.zeros(0, np.int64))
