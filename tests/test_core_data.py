"""mnist_core.data: the IDX reader, the IDX folder, the parsed-array cache, OpenML through sklearn's
real fetch_openml (download layer patched), and the real data when $MNIST_DATA_DIR has it."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import struct
import time
import types
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest

from helpers_core import real_data_dir, real_mnist
from mnist_core import data
from mnist_core.data import IDX_FILES, DataError, load_idx_folder, load_mnist, read_idx, seed_split


def idx_bytes(array: np.ndarray, type_byte: int = 0x08) -> bytes:
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, type_byte, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


def write_idx(path: Path, array: np.ndarray) -> Path:
    raw = idx_bytes(array)
    path.write_bytes(gzip.compress(raw) if path.suffix == ".gz" else raw)
    return path


def make_folder(folder: Path, n_train: int = 4, n_test: int = 3, *, gz: bool = True, seed: int = 0):
    """A tiny MNIST folder: four IDX files with random pixels and labels. Returns (images, labels)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        arrays[prefix] = (rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n, dtype=np.uint8))
        suffix = ".gz" if gz else ""
        write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", arrays[prefix][0])
        write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", arrays[prefix][1])
    images = np.concatenate([arrays["train"][0], arrays["t10k"][0]]).reshape(-1, 784)
    labels = np.concatenate([arrays["train"][1], arrays["t10k"][1]]).astype(np.int64)
    return images, labels


def one_line_naming(exc: pytest.ExceptionInfo, *names: str) -> str:
    message = str(exc.value)
    assert message and "\n" not in message, f"not one line: {message!r}"
    for name in names:
        assert name in message, f"{name!r} not in {message!r}"
    return message


# ---------------------------------------------------------------------------------------- read_idx


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_read_idx_reads_shape_and_values(tmp_path, suffix):
    images = np.random.default_rng(1).integers(0, 256, (5, 4, 3), dtype=np.uint8)
    labels = np.array([5, 0, 4, 1, 9], dtype=np.uint8)
    got_images = read_idx(write_idx(tmp_path / f"images{suffix}", images), magic=data.IMAGE_MAGIC)
    got_labels = read_idx(write_idx(tmp_path / f"labels{suffix}", labels), magic=data.LABEL_MAGIC)
    assert got_images.shape == (5, 4, 3) and got_images.dtype == np.uint8
    assert np.array_equal(got_images, images)
    assert got_labels.shape == (5,) and np.array_equal(got_labels, labels)


@pytest.mark.parametrize(
    "header",
    [
        b"PK\x03\x04",  # a zip file
        b"\x00\x00\x0d\x01",  # IDX of floats, not unsigned bytes
        b"\x01\x00\x08\x01",  # first byte not zero
        b"\x89PNG",
    ],
)
def test_read_idx_refuses_wrong_magic(tmp_path, header):
    path = tmp_path / "labels-idx1-ubyte"
    path.write_bytes(header + struct.pack(">I", 3) + bytes(3))
    with pytest.raises(DataError) as exc:
        read_idx(path)
    one_line_naming(exc, str(path), "magic")


def test_read_idx_refuses_labels_where_images_are_expected(tmp_path):
    path = write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros(10, np.uint8))  # magic 0x0801
    assert read_idx(path).shape == (10,)  # a fine IDX file...
    with pytest.raises(DataError) as exc:  # ...but not of the expected kind
        read_idx(path, magic=data.IMAGE_MAGIC)
    one_line_naming(exc, str(path))


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_read_idx_refuses_truncated_data(tmp_path, suffix):
    raw = idx_bytes(np.ones((6, 28, 28), np.uint8))[:-100]
    path = tmp_path / f"train-images-idx3-ubyte{suffix}"
    path.write_bytes(gzip.compress(raw) if suffix else raw)
    with pytest.raises(DataError) as exc:
        read_idx(path)
    one_line_naming(exc, str(path), "truncated")


@pytest.mark.parametrize("keep", [5, 8, 13])
def test_read_idx_refuses_truncated_header(tmp_path, keep):
    """Cut inside the dimension sizes: must be a DataError, not struct.error."""
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(idx_bytes(np.ones((2, 28, 28), np.uint8))[:keep])
    with pytest.raises(DataError) as exc:
        read_idx(path)
    one_line_naming(exc, str(path), "truncated")


def test_read_idx_refuses_cut_off_gzip_stream(tmp_path):
    packed = gzip.compress(idx_bytes(np.random.default_rng(0).integers(0, 256, (20, 28, 28), dtype=np.uint8)))
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(DataError) as exc:
        read_idx(path)
    one_line_naming(exc, str(path))


def test_read_idx_refuses_corrupt_gzip_stream(tmp_path):
    packed = bytearray(gzip.compress(idx_bytes(np.arange(2000, dtype=np.uint32).astype(np.uint8))))
    for i in range(12, len(packed) - 8):  # garble the deflate stream, keep gzip's header and trailer
        packed[i] ^= 0xA5
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(bytes(packed))
    with pytest.raises(DataError) as exc:
        read_idx(path)
    one_line_naming(exc, str(path))


@pytest.mark.parametrize("name", ["train-labels-idx1-ubyte", "train-labels-idx1-ubyte.gz"])
def test_read_idx_refuses_empty_file(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(DataError) as exc:
        read_idx(path)
    one_line_naming(exc, str(path))


def test_read_idx_refuses_not_gzip_named_gz(tmp_path):
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(idx_bytes(np.zeros(3, np.uint8)))  # raw bytes behind a .gz name
    with pytest.raises(DataError) as exc:
        read_idx(path)
    one_line_naming(exc, str(path))


# ---------------------------------------------------------------------------------- load_idx_folder


@pytest.mark.parametrize("gz", [True, False])
def test_load_idx_folder_gives_train_then_test_rows(tmp_path, gz):
    images, labels = make_folder(tmp_path / "mnist", n_train=4, n_test=3, gz=gz)
    got_images, got_labels = load_idx_folder(tmp_path / "mnist")
    assert got_images.shape == (7, 784) and got_images.dtype == np.uint8
    assert got_labels.shape == (7,) and got_labels.dtype == np.int64
    assert np.array_equal(got_images, images) and np.array_equal(got_labels, labels)


def test_load_idx_folder_missing_folder(tmp_path):
    with pytest.raises(DataError) as exc:
        load_idx_folder(tmp_path / "nowhere")
    one_line_naming(exc, "nowhere", "does not exist")


@pytest.mark.parametrize("stem", IDX_FILES)
def test_load_idx_folder_missing_file(tmp_path, stem):
    make_folder(tmp_path)
    (tmp_path / f"{stem}.gz").unlink()
    with pytest.raises(DataError) as exc:
        load_idx_folder(tmp_path)
    one_line_naming(exc, stem)


@pytest.mark.parametrize("prefix", ["train", "t10k"])
def test_load_idx_folder_count_mismatch(tmp_path, prefix):
    make_folder(tmp_path)
    write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", np.zeros(2, np.uint8))  # 2 labels, more images
    with pytest.raises(DataError) as exc:
        load_idx_folder(tmp_path)
    message = one_line_naming(exc, f"{prefix}-images-idx3-ubyte")
    assert "2 labels" in message


def test_load_idx_folder_wrong_image_size(tmp_path):
    make_folder(tmp_path)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((3, 32, 32), np.uint8))
    with pytest.raises(DataError) as exc:
        load_idx_folder(tmp_path)
    one_line_naming(exc, "t10k-images-idx3-ubyte", "28 x 28")


def test_load_idx_folder_swapped_files(tmp_path):
    make_folder(tmp_path)
    images, labels = tmp_path / "train-images-idx3-ubyte.gz", tmp_path / "train-labels-idx1-ubyte.gz"
    a, b = images.read_bytes(), labels.read_bytes()
    images.write_bytes(b)
    labels.write_bytes(a)
    with pytest.raises(DataError) as exc:
        load_idx_folder(tmp_path)
    one_line_naming(exc, "train-images-idx3-ubyte", "magic")


# --------------------------------------------------------------------------------------- load_mnist


@pytest.fixture
def tiny_folder(tmp_path, monkeypatch):
    """A 7-row folder that load_mnist accepts (N_ROWS patched), and a private cache folder."""
    monkeypatch.setattr(data, "N_ROWS", 7)
    monkeypatch.delenv("MNIST_DATA_DIR", raising=False)
    images, labels = make_folder(tmp_path / "mnist", n_train=4, n_test=3)
    return types.SimpleNamespace(folder=tmp_path / "mnist", cache=tmp_path / "cache", images=images, labels=labels)


def _refuse_source(*args, **kwargs):
    raise AssertionError("the source was read although the cache holds the arrays")


def test_load_mnist_second_call_comes_from_cache(tiny_folder, monkeypatch):
    first = load_mnist(data_dir=tiny_folder.folder, cache_dir=tiny_folder.cache)
    assert np.array_equal(first.images, tiny_folder.images) and np.array_equal(first.labels, tiny_folder.labels)
    assert first.images.dtype == np.uint8 and first.labels.dtype == np.int64
    assert len(list(tiny_folder.cache.rglob("*.npy"))) == 2
    monkeypatch.setattr(data, "load_idx_folder", _refuse_source)
    second = load_mnist(data_dir=tiny_folder.folder, cache_dir=tiny_folder.cache)
    assert np.array_equal(second.images, first.images) and np.array_equal(second.labels, first.labels)
    with pytest.raises(AssertionError):  # use_cache=False really goes to the source
        load_mnist(data_dir=tiny_folder.folder, cache_dir=tiny_folder.cache, use_cache=False)


def test_load_mnist_cache_follows_changed_source(tiny_folder):
    load_mnist(data_dir=tiny_folder.folder, cache_dir=tiny_folder.cache)
    images, labels = make_folder(tiny_folder.folder, n_train=4, n_test=3, seed=99)  # new content, new sizes
    again = load_mnist(data_dir=tiny_folder.folder, cache_dir=tiny_folder.cache)
    assert np.array_equal(again.images, images) and np.array_equal(again.labels, labels)


@pytest.mark.parametrize("damage", ["empty", "truncated", "garbage"])
def test_load_mnist_survives_a_damaged_cache(tiny_folder, damage):
    load_mnist(data_dir=tiny_folder.folder, cache_dir=tiny_folder.cache)
    (cached,) = tiny_folder.cache.rglob("images.npy")
    body = cached.read_bytes()
    cached.write_bytes({"empty": b"", "truncated": body[: len(body) // 2], "garbage": b"\x93NUMPY" + bytes(50)}[damage])
    again = load_mnist(data_dir=tiny_folder.folder, cache_dir=tiny_folder.cache)
    assert np.array_equal(again.images, tiny_folder.images)


def test_load_mnist_uses_env_folder(tiny_folder, monkeypatch):
    monkeypatch.setenv("MNIST_DATA_DIR", str(tiny_folder.folder))
    got = load_mnist(cache_dir=tiny_folder.cache)
    assert np.array_equal(got.labels, tiny_folder.labels)
    assert str(tiny_folder.folder) in got.source


def test_load_mnist_missing_folder(tmp_path):
    with pytest.raises(DataError) as exc:
        load_mnist(data_dir=tmp_path / "absent", cache_dir=tmp_path / "cache")
    one_line_naming(exc, "absent")


def test_load_mnist_wants_all_rows(tmp_path):
    make_folder(tmp_path / "mnist")  # 7 rows, N_ROWS untouched
    with pytest.raises(DataError) as exc:
        load_mnist(data_dir=tmp_path / "mnist", cache_dir=tmp_path / "cache")
    one_line_naming(exc, "7 rows", str(data.N_ROWS))
    assert not list((tmp_path / "cache").rglob("*.npy")), "a wrong dataset was cached"


def test_seed_split_sizes_scaling_and_determinism(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "N_ROWS", 70)
    make_folder(tmp_path / "mnist", n_train=60, n_test=10)
    mnist = load_mnist(data_dir=tmp_path / "mnist", use_cache=False)
    split = seed_split(mnist)
    assert (len(split.x_train), len(split.x_test)) == (60, 10)
    assert split.x_train.dtype == np.float32 and split.x_train.shape[1] == 784
    assert 0.0 <= split.x_train.min() and split.x_train.max() <= 1.0
    rows = {tuple(np.round(r * 255).astype(np.uint8)) for r in np.concatenate([split.x_train, split.x_test])}
    assert rows == {tuple(r) for r in mnist.images}  # a partition of the rows
    again = seed_split(mnist)
    assert np.array_equal(again.x_test, split.x_test) and np.array_equal(again.y_train, split.y_train)
    other = seed_split(mnist, random_state=1)
    assert not np.array_equal(other.y_test, split.y_test) or not np.array_equal(other.x_test, split.x_test)


# ---------------------------------------------------------------------------- OpenML, really fetched


class FakeResponse(io.BytesIO):
    """What urlopen returns, as far as sklearn's _openml uses it."""

    def __init__(self, body: bytes, gzipped: bool):
        super().__init__(body)
        self._headers = {"Content-Encoding": "gzip"} if gzipped else {}

    def info(self):
        return self._headers


def fake_mnist_784(n_rows: int = 12, seed: int = 0):
    """A tiny dataset shaped like OpenML's mnist_784: pixel1..pixel784 numeric, class nominal '0'..'9'."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (n_rows, 784), dtype=np.uint8)
    pixels[0, :3] = (0, 255, 128)  # the extremes are certainly there
    labels = rng.permutation(np.arange(n_rows) % 10)  # every digit, in no particular order
    lines = ["@RELATION mnist_784", ""]
    lines += [f"@ATTRIBUTE pixel{i} NUMERIC" for i in range(1, 785)]
    lines += ["@ATTRIBUTE class {0,1,2,3,4,5,6,7,8,9}", "", "@DATA"]
    lines += [",".join(map(str, row)) + f",{label}" for row, label in zip(pixels.tolist(), labels.tolist())]
    arff = ("\n".join(lines) + "\n").encode()
    did, file_id = 554, 52667
    feature = {"data_type": "numeric", "is_target": "false", "is_ignore": "false", "is_row_identifier": "false",
               "number_of_missing_values": "0"}  # fmt: skip
    features = [feature | {"index": str(i), "name": f"pixel{i + 1}"} for i in range(784)]
    features.append(feature | {"index": "784", "name": "class", "data_type": "nominal", "is_target": "true",
                               "nominal_value": [str(d) for d in range(10)]})  # fmt: skip
    api = "https://www.openml.org/api/v1/json/data/"
    routes = {
        f"{api}list/data_name/mnist_784/limit/2/data_version/1": {
            "data": {"dataset": [{"did": did, "name": "mnist_784", "version": 1, "status": "active", "format": "ARFF"}]}
        },
        f"{api}{did}": {
            "data_set_description": {
                "id": str(did), "name": "mnist_784", "version": "1", "description": "A tiny stand-in.",
                "format": "ARFF", "status": "active", "file_id": str(file_id),
                "default_target_attribute": "class", "md5_checksum": hashlib.md5(arff).hexdigest(),
                "url": f"https://api.openml.org/data/v1/download/{file_id}/mnist_784.arff",
            }
        },
        f"{api}features/{did}": {"data_features": {"feature": features}},
        f"{api}qualities/{did}": {"data_qualities": {"quality": [
            {"name": "NumberOfInstances", "value": f"{n_rows}.0"},
            {"name": "NumberOfFeatures", "value": "785.0"},
            {"name": "NumberOfClasses", "value": "10.0"}]}},
    }  # fmt: skip
    bodies = {url: json.dumps(body).encode() for url, body in routes.items()}
    bodies["/data/v1/download/52667/"] = arff
    return pixels, labels, bodies


@pytest.fixture
def openml_server(monkeypatch):
    """Patch sklearn's urlopen to serve fake_mnist_784; record the URLs asked for."""
    from sklearn.datasets import _openml

    pixels, labels, bodies = fake_mnist_784()
    served = []

    def urlopen(request, *args, **kwargs):
        url = request.get_full_url()
        gzipped = request.get_header("Accept-encoding") == "gzip"
        for key, body in bodies.items():
            if url == key or (key.startswith("/data/") and key in url):
                served.append(url)
                return FakeResponse(gzip.compress(body) if gzipped else body, gzipped)
        raise AssertionError(f"unexpected OpenML URL {url}")

    monkeypatch.setattr(_openml, "urlopen", urlopen)
    return types.SimpleNamespace(pixels=pixels, labels=labels, served=served)


def test_fetch_openml_mnist_through_real_fetch_openml(tmp_path, openml_server):
    images, labels = data.fetch_openml_mnist(data_home=tmp_path)
    assert images.dtype == np.uint8 and images.shape == openml_server.pixels.shape
    assert labels.dtype == np.int64 and labels.shape == (len(openml_server.labels),)
    assert np.array_equal(images, openml_server.pixels)
    assert labels.tolist() == openml_server.labels.tolist()  # the strings '5', '0', ... became 5, 0, ...
    assert any("/download/" in url for url in openml_server.served), "the ARFF file was not fetched"
    assert (tmp_path / "openml").is_dir(), "data_home was not used"


def test_load_mnist_from_openml_when_no_folder(tmp_path, monkeypatch, openml_server):
    monkeypatch.delenv("MNIST_DATA_DIR", raising=False)
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "sklearn"))  # fetch_openml's default data_home
    monkeypatch.setattr(data, "N_ROWS", len(openml_server.labels))
    got = load_mnist(cache_dir=tmp_path / "cache")
    assert "OpenML" in got.source
    assert np.array_equal(got.images, openml_server.pixels) and np.array_equal(got.labels, openml_server.labels)
    monkeypatch.setattr(data, "fetch_openml_mnist", _refuse_source)  # warm: the parsed-array cache
    again = load_mnist(cache_dir=tmp_path / "cache")
    assert np.array_equal(again.images, got.images)


@pytest.mark.filterwarnings("ignore:A network error occurred")  # sklearn's retries
def test_openml_unreachable_says_how_to_use_a_folder(tmp_path, monkeypatch):
    from sklearn.datasets import _openml

    calls = []

    def urlopen(request, *args, **kwargs):
        calls.append(request.get_full_url())
        raise URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(_openml, "urlopen", urlopen)
    monkeypatch.setattr(_openml, "time", types.SimpleNamespace(sleep=lambda seconds: None))  # no retry delays
    with pytest.raises(DataError) as exc:
        data.fetch_openml_mnist(data_home=tmp_path)
    message = one_line_naming(exc, "MNIST_DATA_DIR", "OpenML")
    assert "--data-dir" in message
    assert calls, "fetch_openml did not try the network"


# ------------------------------------------------------------------------------------------ real data


@pytest.mark.realdata
def test_real_data_load_and_seed_split():
    folder = real_data_dir()
    mnist, split = real_mnist()
    assert mnist.images.shape == (70_000, 784) and mnist.images.dtype == np.uint8
    assert mnist.labels.shape == (70_000,) and mnist.labels.dtype == np.int64
    assert mnist.labels[0] == 5  # mnist_784's first row
    assert sorted(np.unique(mnist.labels).tolist()) == list(range(10))
    assert (len(split.x_train), len(split.x_test)) == (60_000, 10_000)
    assert split.x_train.dtype == np.float32 and float(split.x_train.max()) == 1.0
    candidates = (folder / "train-images-idx3-ubyte.gz", folder / "train-images-idx3-ubyte")
    train_file = next(p for p in candidates if p.is_file())
    assert np.array_equal(mnist.images[:60_000], read_idx(train_file).reshape(60_000, 784))


@pytest.mark.realdata
def test_real_data_warm_load_is_from_cache(tmp_path, monkeypatch):
    folder = real_data_dir()
    cold = load_mnist(data_dir=folder, cache_dir=tmp_path)
    monkeypatch.setattr(data, "load_idx_folder", _refuse_source)
    start = time.perf_counter()
    warm = load_mnist(data_dir=folder, cache_dir=tmp_path)
    seconds = time.perf_counter() - start
    assert np.array_equal(warm.images, cold.images) and np.array_equal(warm.labels, cold.labels)
    assert seconds < 1.0, f"a warm load took {seconds:.2f} s"  # the issue asks for well under a second
