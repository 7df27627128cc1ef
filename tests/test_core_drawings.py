"""Drawings files (mnist_core.drawings) and `python -m mnist_core evaluate --drawings FILE`: a round
trip, and every bad file ending in one line on stderr, exit status 1, no code run."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from conftest import write_tiny_checkpoint
from mnist_core.drawings import FORMAT, MAX_DRAWINGS, DrawingsError, load_drawings, save_drawings
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


@pytest.mark.slow
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


# ------------------------------------------------------------------------- headers that lie about sizes


def crafted_npz(path, arrays: dict):
    """An npz whose members are real arrays or (descr, shape) declared in their .npy headers, with data
    only as far as a few zero bytes or, for a declared size under 1 GB, all of it (zeros, which deflate
    1000:1: the issue's 1.9 MB file inflated to 2 GB)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, value in arrays.items():
            header = io.BytesIO()
            if isinstance(value, np.ndarray):
                np.save(header, value)
                z.writestr(f"{name}.npy", header.getvalue())
                continue
            descr, shape = value
            np.lib.format.write_array_header_1_0(header, {"descr": descr, "fortran_order": False, "shape": shape})
            size = int(np.prod(shape, dtype=object)) * np.dtype(descr).itemsize
            if size >= 2**30:
                z.writestr(f"{name}.npy", header.getvalue() + bytes(16))
                continue
            with z.open(f"{name}.npy", "w") as f:
                f.write(header.getvalue())
                for start in range(0, size, 2**20):
                    f.write(bytes(min(2**20, size - start)))
    return path


GOOD_FORMAT = ("<U21", ())


def measured(call) -> tuple[float, float]:
    """Seconds and peak traced MB of call(), which must raise DrawingsError (numpy's allocations are traced)."""
    import time
    import tracemalloc

    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(DrawingsError):
            call()
        return time.perf_counter() - start, tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


LIARS = {  # name: arrays as declared, and a word of the one-line refusal
    "trillion rows": ({"format": GOOD_FORMAT, "images": ("|u1", (10**12, 784)), "labels": ("|u1", (10**12,))}, "more than"),
    "oversized labels": ({"format": GOOD_FORMAT, "images": ("|u1", (2, 784)), "labels": ("<i8", (40_000_000,))}, "labels"),
    "long labels": ({"format": GOOD_FORMAT, "images": ("|u1", (2, 784)), "labels": ("|u1", (300_000_000,))}, "labels"),
    "one over the limit": ({"format": GOOD_FORMAT, "images": ("|u1", (MAX_DRAWINGS + 1, 784)),
                            "labels": ("|u1", (MAX_DRAWINGS + 1,))}, "more than"),  # fmt: skip
    "huge format": ({"format": ("<U100000000", ()), "images": ("|u1", (2, 784)), "labels": ("|u1", (2,))}, "format"),
    "images as floats": ({"format": GOOD_FORMAT, "images": ("<f8", (10**9, 784)), "labels": ("|u1", (2,))}, "images"),
    "images in 3-D": ({"format": GOOD_FORMAT, "images": ("|u1", (2, 784, 10**9)), "labels": ("|u1", (2,))}, "images"),
}


@pytest.mark.parametrize("name", LIARS)
def test_declared_shapes_and_dtypes_are_checked_before_anything_is_allocated(tmp_path, capsys, name):
    arrays, word = LIARS[name]
    path = crafted_npz(tmp_path / "liar.npz", arrays)
    assert path.stat().st_size < 2_000_000
    seconds, peak_mb = measured(lambda: load_drawings(path))
    assert seconds < 1 and peak_mb < 100, (seconds, peak_mb)
    checkpoint = write_tiny_checkpoint(tmp_path / "tiny.pt", (16,), accuracy=0.1)
    code, out, err = run_main(["evaluate", "--checkpoint", checkpoint, "--drawings", path], capsys)
    assert_one_line_error(code, err, str(path), word)


@pytest.mark.slow
def test_the_575_byte_file_that_claims_a_trillion_drawings_is_refused_as_a_process(tmp_path):
    path = crafted_npz(tmp_path / "trillion.npz", LIARS["trillion rows"][0])
    assert path.stat().st_size < 1000
    checkpoint = write_tiny_checkpoint(tmp_path / "tiny.pt", (16,), accuracy=0.1)
    done = run_cli("evaluate", "--checkpoint", checkpoint, "--drawings", path)
    assert_one_line_error(done.returncode, done.stderr, "more than")


@pytest.mark.parametrize("write_header", [np.lib.format.write_array_header_1_0, np.lib.format.write_array_header_2_0])
def test_a_header_with_a_valid_shape_but_missing_data_is_refused(tmp_path, write_header):
    path = crafted_npz(tmp_path / "short.npz", {"format": np.array(FORMAT), "labels": np.zeros(5, np.uint8)})
    header = io.BytesIO()
    write_header(header, {"descr": "|u1", "fortran_order": False, "shape": (5, 784)})
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("images.npy", header.getvalue() + bytes(100))  # 100 of the 3920 bytes declared
    with pytest.raises(DrawingsError, match="not a"):
        load_drawings(path)


@pytest.mark.slow
def test_a_file_at_the_limit_costs_what_the_documentation_says(tmp_path):
    """MAX_DRAWINGS drawings: the uint8 pixels and the float32 inputs, 5 bytes a pixel, and no more."""
    import tracemalloc

    path = crafted_npz(tmp_path / "limit.npz", {"format": np.array(FORMAT), "images": ("|u1", (MAX_DRAWINGS, 784)),
                                                "labels": ("|u1", (MAX_DRAWINGS,))})  # fmt: skip
    tracemalloc.start()
    try:
        x, y = load_drawings(path)
        peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()
    assert x.shape == (MAX_DRAWINGS, 784) and x.dtype == np.float32 and len(y) == MAX_DRAWINGS
    assert peak_mb < MAX_DRAWINGS * 784 * 5.2 / 1e6, peak_mb
