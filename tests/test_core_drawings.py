"""Drawings files (mnist_core.drawings) and `python -m mnist_core evaluate --drawings FILE`: a round
trip, and every bad file ending in one line on stderr, exit status 1, no code run."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from conftest import write_tiny_checkpoint
from mnist_core.drawings import FORMAT, DrawingsError, load_drawings, save_drawings
from test_core_cli import TouchOnLoad, assert_one_line_error, run_cli, run_main


def npz(path, **arrays):
    np.savez(path, **arrays)
    return path


def test_round_trip_uint8_and_floats(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    labels = np.array([0, 9, 3, 3, 7])
    save_drawings(tmp_path / "a.npz", images, labels)
    x, y = load_drawings(tmp_path / "a.npz")
    assert x.dtype == np.float32 and x.shape == (5, 784) and y.dtype == np.int64
    assert (np.rint(x * 255).astype(np.uint8) == images.reshape(5, 784)).all() and (y == labels).all()
    save_drawings(tmp_path / "b.npz", x, y)  # the model's float inputs give the same file content
    assert (load_drawings(tmp_path / "b.npz")[0] == x).all()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left


@pytest.mark.parametrize("images, labels", [(np.zeros((2, 27, 28), np.uint8), [1, 2]), (np.zeros((2, 784)), [1, 10]),
                                            (np.full((1, 784), 2.0), [1]), (np.zeros((2, 784), np.uint8), [1])])  # fmt: skip
def test_save_refuses_what_is_not_drawings(tmp_path, images, labels):
    with pytest.raises(ValueError):
        save_drawings(tmp_path / "x.npz", images, labels)
    assert list(tmp_path.iterdir()) == []


def bad_files(folder) -> dict:
    good = {"format": np.array(FORMAT), "images": np.zeros((2, 784), np.uint8), "labels": np.array([1, 2], np.uint8)}
    files = {
        "missing.npz": None,
        "empty.npz": b"",
        "text.npz": b"hello\n",
        "cut.npz": "cut",
        "other.npz": {"x": np.zeros(3)},
        "no-format.npz": {k: v for k, v in good.items() if k != "format"},
        "wrong-format.npz": good | {"format": np.array("something/1")},
        "float-images.npz": good | {"images": np.zeros((2, 784), np.float32)},
        "wrong-shape.npz": good | {"images": np.zeros((2, 28, 28), np.uint8)},
        "label-10.npz": good | {"labels": np.array([1, 10], np.uint8)},
        "short-labels.npz": good | {"labels": np.array([1], np.uint8)},
        "object.npz": good | {"labels": np.array([TouchOnLoad(folder / "pwned"), 1], dtype=object)},
    }
    paths = {}
    for name, body in files.items():
        path = paths[name] = folder / name
        if isinstance(body, bytes):
            path.write_bytes(body)
        elif isinstance(body, dict):
            np.savez(path, **body)
        elif body == "cut":
            np.savez(path, **good)
            path.write_bytes(path.read_bytes()[:200])
    return paths


def test_bad_files_are_refused_in_one_line(tmp_path, capsys):
    checkpoint = write_tiny_checkpoint(tmp_path / "tiny.pt", (16,), accuracy=0.1)
    for name, path in bad_files(tmp_path).items():
        with pytest.raises(DrawingsError):
            load_drawings(path)
        code, out, err = run_main(["evaluate", "--checkpoint", checkpoint, "--drawings", path], capsys)
        assert_one_line_error(code, err, name)
        assert out == ""
    assert not (tmp_path / "pwned").exists()


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path):
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, array in {"format": np.array(FORMAT), "labels": np.zeros(1, np.uint8)}.items():
            buffer = io.BytesIO()
            np.save(buffer, array)
            z.writestr(f"{name}.npy", buffer.getvalue())
        with z.open("images.npy", "w", force_zip64=True) as f:  # claims 1.2 M drawings: 1 GB inflated
            np.lib.format.write_array_header_1_0(f, {"descr": "|u1", "fortran_order": False, "shape": (1_200_000, 784)})
            for _ in range(1_200_000 * 784 // 2**20 + 1):
                f.write(bytes(2**20))
    assert path.stat().st_size < 5_000_000
    with pytest.raises(DrawingsError, match="more than"):
        load_drawings(path)


def test_empty_export_is_refused_by_evaluate(tmp_path):
    path = save_drawings(tmp_path / "none.npz", np.zeros((0, 784), np.uint8), np.zeros(0, np.int64))
    assert load_drawings(path)[0].shape == (0, 784)
    checkpoint = write_tiny_checkpoint(tmp_path / "tiny.pt", (16,), accuracy=0.1)
    done = run_cli("evaluate", "--checkpoint", checkpoint, "--drawings", path)
    assert_one_line_error(done.returncode, done.stderr, "holds no drawings")


def test_evaluate_drawings_json(tmp_path, capsys):
    checkpoint = write_tiny_checkpoint(tmp_path / "tiny.pt", (16,), accuracy=0.1)
    path = save_drawings(tmp_path / "d.npz", np.random.default_rng(1).random((12, 784)), np.arange(12) % 10)
    code, out, err = run_main(["evaluate", "--checkpoint", checkpoint, "--drawings", path, "--json"], capsys)
    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["total"] == 12 and result["drawings"] == str(path) and 0 <= result["correct"] <= 12
    assert f"Drawings accuracy: {result['correct']}/12" in out
