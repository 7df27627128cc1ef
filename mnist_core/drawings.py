"""Drawings exported from the app's room: 28x28 inputs with the labels their authors meant.

The file is an `.npz` of plain arrays (`format`, `images` (N, 784) uint8 with 255 = ink, `labels`
(N,) uint8 0-9), read with `allow_pickle=False`, so a file can never run code. `python -m mnist_core
evaluate --drawings FILE` scores a checkpoint on it; the app's room writes it through `save_drawings`
so the format is defined here only. Writes are atomic (temporary file, then rename).

Reading checks what each array's .npy header declares (dtype and shape, a few hundred bytes read
from the zip member) before any array is allocated: numpy allocates what a header declares, so a
575-byte file claiming 10^12 drawings ended in a MemoryError and a 1.9 MB file declaring oversized
labels took 2.2 GB and 17 s before it was refused.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

FORMAT = "mnist_core.drawings/1"
N_PIXELS = 28 * 28
# A room holds hundreds of drawings; more is not a file of ours. Reading the limit's worth costs 5 bytes a
# pixel (uint8 from the file, float32 for the model): 392 MB (tests/test_core_drawings.py measures it).
MAX_DRAWINGS = 100_000


class DrawingsError(ValueError):
    """A file that is not a usable drawings file; the message is one line naming the file and the problem."""


def _as_images(images) -> np.ndarray:
    """(N, 784) or (N, 28, 28) uint8 (255 = ink), or floats in [0, 1] (the model's inputs) -> (N, 784) uint8."""
    array = np.asarray(images)
    if array.ndim not in (2, 3) or array.shape[1:] not in ((N_PIXELS,), (28, 28)):
        raise ValueError(f"drawings must be (N, 784) or (N, 28, 28), got {array.shape}")
    array = array.reshape(len(array), N_PIXELS)
    if array.dtype == np.uint8:
        return array
    if not np.issubdtype(array.dtype, np.floating) or not np.all((array >= 0) & (array <= 1)):
        raise ValueError("drawings must be uint8, or floats in [0, 1]")
    return np.rint(array * 255).astype(np.uint8)


def save_drawings(path: str | os.PathLike, images, labels) -> Path:
    """Write the drawings and their labels atomically; return the path."""
    path = Path(path)
    images = _as_images(images)
    labels = np.asarray(labels)
    if labels.shape != (len(images),) or not np.all((labels >= 0) & (labels <= 9)):
        raise ValueError(f"labels must be {len(images)} digits 0-9")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, format=np.array(FORMAT), images=images, labels=labels.astype(np.uint8))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; an export is for the presenter to pass on
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _declared(archive: zipfile.ZipFile, name: str) -> tuple[tuple, np.dtype]:
    """The shape and dtype an .npy member's header declares, read without its data."""
    with archive.open(f"{name}.npy") as f:
        version = np.lib.format.read_magic(f)
        read = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}.get(version)
        if read is None:
            raise ValueError(f"{name}.npy has .npy format version {version}")
        shape, _, dtype = read(f)  # numpy refuses headers over 10000 bytes
        return shape, dtype


def _check_declared(path: Path, archive: zipfile.ZipFile) -> None:
    """The three arrays' declared dtypes and shapes are those of a drawings file within the limit."""
    names = {n.removesuffix(".npy") for n in archive.namelist()}
    if not {"format", "images", "labels"} <= names:
        raise DrawingsError(f"{path} is not a drawings file (it holds {', '.join(sorted(names)) or 'nothing'})")
    shape, dtype = _declared(archive, "format")
    if shape != () or dtype.kind != "U" or dtype.itemsize > 4 * len(FORMAT):
        raise DrawingsError(f"{path} is not an mnist_core drawings file (no '{FORMAT}' format tag)")
    shape, dtype = _declared(archive, "images")
    if dtype != np.uint8 or len(shape) != 2 or shape[1] != N_PIXELS:
        raise DrawingsError(f"{path} has invalid images: {dtype} {shape}, expected uint8 (N, 784)")
    if shape[0] > MAX_DRAWINGS:
        raise DrawingsError(f"{path} holds more than {MAX_DRAWINGS} drawings ({shape[0]})")
    labels_shape, dtype = _declared(archive, "labels")
    if dtype != np.uint8 or labels_shape != shape[:1]:
        raise DrawingsError(f"{path} has invalid labels: {dtype} {labels_shape}, expected {shape[0]} uint8 digits 0-9")


def _arrays(path: Path) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise DrawingsError(f"drawings file {path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as npz:
            _check_declared(path, npz.zip)
            return {k: npz[k] for k in ("format", "images", "labels")}
    except DrawingsError:
        raise
    except (ValueError, TypeError) as e:  # numpy: a bad header, an object array (pickle refused), not an npz
        raise DrawingsError(f"{path} is not a drawings file: {' '.join(str(e).split())[:120]}") from None
    except (OSError, EOFError, zipfile.BadZipFile) as e:
        raise DrawingsError(f"{path} is not a readable drawings file: {type(e).__name__}") from None


def load_drawings(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """(x (N, 784) float32 in [0, 1], y (N,) int64) from a drawings file; DrawingsError for anything else."""
    path = Path(path)
    found = _arrays(path)
    images, labels = found["images"], found["labels"]
    if found["format"].shape != () or str(found["format"]) != FORMAT:
        raise DrawingsError(f"{path} is not an mnist_core drawings file (no '{FORMAT}' format tag)")
    if images.dtype != np.uint8 or images.ndim != 2 or images.shape[1] != N_PIXELS or len(images) > MAX_DRAWINGS:
        raise DrawingsError(f"{path} has invalid images: {images.dtype} {images.shape}, expected uint8 (N, 784)")
    if labels.dtype != np.uint8 or labels.shape != (len(images),) or np.any(labels > 9):
        raise DrawingsError(f"{path} has invalid labels: expected {len(images)} digits 0-9")
    x = images.astype(np.float32)
    x /= 255.0  # in place: one float32 copy, not two
    return x, labels.astype(np.int64)
