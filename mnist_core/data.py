"""MNIST as arrays: from OpenML (the tutorial's source) or a local folder of IDX files.

Both sources give the same 70000 x 784 uint8 pixels and int64 labels in `mnist_784`'s row order
(the IDX training rows, then the test rows). Parsed arrays are cached as `.npy` files, because
`fetch_openml` parses its ARFF file again on every call and that takes many seconds.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import data_dir_setting, default_cache_dir

N_PIXELS = 28 * 28
N_ROWS = 70_000
IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
IMAGE_MAGIC, LABEL_MAGIC = 0x0803, 0x0801
OPENML_HINT = (
    "download the four MNIST IDX files into a folder and pass --data-dir or set MNIST_DATA_DIR"
)


class DataError(ValueError):
    """The data could not be had; the message is one line that says what to do.

    `code` says which way, for an interface to put into its own words: "offline" (OpenML cannot be
    reached), "missing" (no such folder or file), "unreadable" (a file that is not what it should be).
    """

    def __init__(self, message: str, code: str = "unreadable"):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Mnist:
    """All 70000 rows: `images` (N, 784) uint8, `labels` (N,) int64, and where they came from."""

    images: np.ndarray
    labels: np.ndarray
    source: str  # in words, for logs and the command line
    kind: str = ""  # "openml" or "idx": for an interface to describe the source in its own words


@dataclass(frozen=True)
class Split:
    """The seed split: pixels as float32 in [0, 1], labels int64."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def read_idx(path: str | os.PathLike, *, magic: int | None = None) -> np.ndarray:
    """Read one IDX file (raw or `.gz`) of unsigned bytes into an array of its declared shape."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as e:  # gzip: EOFError when cut off, zlib.error when garbled
        raise DataError(f"cannot read {path}: {e}") from None
    if len(raw) < 4 or raw[:3] != b"\x00\x00\x08" or (magic is not None and raw[2] << 8 | raw[3] != magic):
        found = raw[:4].hex() or "an empty file"
        raise DataError(f"{path} is not an IDX file of the expected kind (magic number {found})")
    ndim = raw[3]
    if len(raw) < 4 + 4 * ndim:
        raise DataError(f"{path} is truncated: its header declares {ndim} dimensions but ends after {len(raw)} bytes")
    shape = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    body = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise DataError(f"{path} is truncated: header says {shape}, found {body.size} bytes of data")
    return body.reshape(shape)


def _find(folder: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz"):
        if (folder / name).is_file():
            return folder / name
    raise DataError(f"{folder} has no {stem} (nor {stem}.gz)", "missing")


def load_idx_folder(folder: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read the four IDX files of `folder`: training rows, then test rows, as OpenML orders them."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"MNIST folder {folder} does not exist", "missing")
    parts = []
    for images_stem, labels_stem in (IDX_FILES[:2], IDX_FILES[2:]):
        images = read_idx(_find(folder, images_stem), magic=IMAGE_MAGIC)
        labels = read_idx(_find(folder, labels_stem), magic=LABEL_MAGIC)
        if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.ndim != 1:
            raise DataError(f"{folder}/{images_stem} holds {images.shape}, not N x 28 x 28 images")
        if len(images) != len(labels):
            raise DataError(f"{folder}: {len(images)} images in {images_stem} but {len(labels)} labels")
        parts.append((images.reshape(len(images), N_PIXELS), labels.astype(np.int64)))
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def fetch_openml_mnist(*, data_home: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The tutorial's `fetch_openml('mnist_784', version=1, cache=True)`, as uint8 pixels and int64 labels."""
    from urllib.error import URLError

    from sklearn.datasets import fetch_openml

    try:
        bunch = fetch_openml(
            "mnist_784", version=1, cache=True, as_frame=False, parser="liac-arff", data_home=data_home
        )
    except (URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise DataError(f"OpenML cannot be reached ({reason}); {OPENML_HINT}", "offline") from None
    # OpenML serves the labels as the strings '0'..'9' and the pixels as floats 0.0..255.0.
    return bunch.data.astype(np.uint8), bunch.target.astype(np.int8).astype(np.int64)


def _cache_key(data_dir: Path | None) -> str:
    if data_dir is None:
        return "openml-mnist_784-v1"
    stats = [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(data_dir.iterdir())]
    digest = hashlib.sha1(repr((str(data_dir.resolve()), stats)).encode()).hexdigest()[:16]
    return f"idx-{digest}"


def _load_cached(folder: Path) -> tuple[np.ndarray, np.ndarray] | None:
    try:
        images, labels = np.load(folder / "images.npy"), np.load(folder / "labels.npy")
    except (OSError, ValueError, EOFError):  # EOFError: an empty .npy file
        return None
    ok = images.shape == (N_ROWS, N_PIXELS) and images.dtype == np.uint8 and labels.shape == (N_ROWS,)
    return (images, labels) if ok else None


def _save_cached(folder: Path, images: np.ndarray, labels: np.ndarray) -> None:
    """Best effort: a read-only home must not stop the data from loading."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, array in (("labels", labels), ("images", images)):
            tmp = folder / f".{name}.{os.getpid()}.npy"
            np.save(tmp, array)
            os.replace(tmp, folder / f"{name}.npy")
    except OSError:
        pass


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path | None:
    """The IDX folder to use: the argument, else $MNIST_DATA_DIR, else None (meaning OpenML)."""
    chosen = data_dir if data_dir not in (None, "") else data_dir_setting()
    return None if chosen is None else Path(chosen).expanduser()


def load_mnist(
    *,
    data_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    use_cache: bool = True,
) -> Mnist:
    """Load all of MNIST from `data_dir` (else $MNIST_DATA_DIR) or, with neither, from OpenML."""
    folder = resolve_data_dir(data_dir)
    if folder is not None and not folder.is_dir():
        raise DataError(f"MNIST folder {folder} does not exist", "missing")
    source = "OpenML mnist_784 (version 1)" if folder is None else f"IDX files in {folder}"
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    cache = cache / _cache_key(folder)
    arrays = _load_cached(cache) if use_cache else None
    if arrays is None:
        arrays = fetch_openml_mnist() if folder is None else load_idx_folder(folder)
        if len(arrays[0]) != N_ROWS:
            raise DataError(f"{source} holds {len(arrays[0])} rows, expected {N_ROWS}")
        if use_cache:
            _save_cached(cache, *arrays)
    return Mnist(images=arrays[0], labels=arrays[1], source=source, kind="openml" if folder is None else "idx")


def split_rows(n: int, *, test_size: float = 1 / 7, random_state: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Which rows of the n go to training and which to test, in `seed_split`'s order.

    `train_test_split` shuffles by position alone, so splitting the row numbers gives the permutation
    it applies to the pixels: `test_rows[i]` is the data set row of test image i.
    """
    from sklearn.model_selection import train_test_split

    train_rows, test_rows = train_test_split(np.arange(n), test_size=test_size, random_state=random_state)
    return train_rows, test_rows


def seed_split(mnist: Mnist, *, test_size: float = 1 / 7, random_state: int = 0) -> Split:
    """The tutorial's `train_test_split(X, y, test_size=1/7, random_state=0)`, pixels scaled to [0, 1]."""
    from sklearn.model_selection import train_test_split

    x = mnist.images.astype(np.float32) / 255.0
    x_train, x_test, y_train, y_test = train_test_split(
        x, mnist.labels, test_size=test_size, random_state=random_state
    )
    return Split(x_train, y_train, x_test, y_test)
