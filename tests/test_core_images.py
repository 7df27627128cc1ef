"""mnist_core.images.read_image: every kind of file `predict` may be handed, good and bad."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from helpers_core import REPO, crafted_png, draw_digit
from mnist_core.images import MAX_PIXELS, read_image
from mnist_core.preprocess import prepare

DIGIT = draw_digit(120)  # dark "7" on white, 120x120


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    return max(
        float(np.corrcoef(np.roll(a, (dy, dx), axis=(0, 1)).ravel(), b.ravel())[0, 1])
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
    )


def refused(path: Path, *words: str) -> str:
    with pytest.raises(ValueError) as exc:
        read_image(path)
    message = str(exc.value)
    assert message and "\n" not in message, f"not one line: {message!r}"
    assert str(path) in message
    for word in words:
        assert word in message.lower(), f"{word!r} not in {message!r}"
    return message


# ----------------------------------------------------------------------------------------- good files


def _rgba_over_nothing(path: Path) -> None:
    out = np.zeros((*DIGIT.shape, 4), np.uint8)
    out[..., 3] = 255 - DIGIT  # black ink, alpha = ink
    Image.fromarray(out).save(path)


def _palette_with_transparency(path: Path) -> None:
    im = Image.fromarray(DIGIT).convert("P")
    im.info["transparency"] = int(np.asarray(im)[0, 0])  # the paper's index is transparent
    im.save(path, transparency=int(np.asarray(im)[0, 0]))


GOOD = {
    "gray.png": lambda p: Image.fromarray(DIGIT).save(p),
    "16bit.png": lambda p: Image.fromarray(DIGIT.astype(np.uint16) * 257).save(p),
    "palette.png": lambda p: Image.fromarray(DIGIT).convert("RGB").quantize(16).save(p),
    "palette-transparent.png": _palette_with_transparency,
    "cmyk.jpg": lambda p: Image.fromarray(DIGIT).convert("CMYK").save(p, quality=95),
    "rgb.jpg": lambda p: Image.fromarray(DIGIT).convert("RGB").save(p, quality=90),
    "rgba.png": _rgba_over_nothing,
    "la.png": lambda p: Image.fromarray(DIGIT).convert("LA").save(p),
    "bilevel.png": lambda p: Image.fromarray(DIGIT).convert("1").save(p),
    "inverted.bmp": lambda p: Image.fromarray(255 - DIGIT).save(p),
    "digit.gif": lambda p: Image.fromarray(DIGIT).save(p),
    "digit.tif": lambda p: Image.fromarray(DIGIT).save(p),
    "digit.webp": lambda p: Image.fromarray(DIGIT).save(p, lossless=True),
}


@pytest.mark.parametrize("name", list(GOOD))
def test_good_files_read_and_prepare(tmp_path, name):
    path = tmp_path / name
    GOOD[name](path)
    array = read_image(path)
    assert isinstance(array, np.ndarray) and array.shape[:2] == DIGIT.shape
    assert array.ndim == 2 or array.shape[2] in (3, 4)
    prepared = prepare(array)
    assert not prepared.empty, prepared.problem
    assert similarity(prepared.digit, prepare(DIGIT).digit) > 0.9


def test_16_bit_stays_16_bit(tmp_path):
    path = tmp_path / "deep.png"
    Image.fromarray(DIGIT.astype(np.uint16) * 257).save(path)
    assert Image.open(path).mode.startswith("I")  # really a 16-bit file
    array = read_image(path)
    assert array.dtype == np.uint16 and int(array.max()) == 65535
    np.testing.assert_allclose(prepare(array).digit, prepare(DIGIT).digit, atol=1e-3)


def test_cmyk_jpeg_is_cmyk(tmp_path):
    path = tmp_path / "cmyk.jpg"
    GOOD["cmyk.jpg"](path)
    assert Image.open(path).mode == "CMYK"
    assert read_image(path).shape == (*DIGIT.shape, 3)


def test_rgba_keeps_alpha_as_ink(tmp_path):
    path = tmp_path / "rgba.png"
    _rgba_over_nothing(path)
    array = read_image(path)
    assert array.shape == (*DIGIT.shape, 4) and array[..., 3].min() == 0


def test_one_by_one_pixel(tmp_path):
    path = tmp_path / "dot.png"
    Image.new("L", (1, 1), 0).save(path)
    array = read_image(path)
    assert array.shape == (1, 1)
    prepared = prepare(array)  # prepare takes it, and says there is nothing to read
    assert prepared.empty and prepared.problem


def test_largest_allowed_size_is_read(tmp_path):
    side = int(MAX_PIXELS**0.5)
    path = tmp_path / "big.png"
    Image.new("L", (side, side), 255).save(path)
    assert read_image(path).shape == (side, side)


# ------------------------------------------------------------------------------------------ bad files


def test_text_file(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("This is not a picture of a digit.\n" * 20)
    refused(path, "not an image")


def test_zero_bytes(tmp_path):
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    refused(path)


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
def test_truncated_png(tmp_path, keep):
    noisy = np.random.default_rng(0).integers(0, 256, (200, 200), dtype=np.uint8)  # compresses badly: many bytes
    whole = tmp_path / "whole.png"
    Image.fromarray(noisy).save(whole)
    path = tmp_path / "cut.png"
    body = whole.read_bytes()
    path.write_bytes(body[: int(len(body) * keep)])
    refused(path)


def test_truncated_jpeg(tmp_path):
    whole = tmp_path / "whole.jpg"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (200, 200, 3), dtype=np.uint8)).save(whole)
    path = tmp_path / "cut.jpg"
    path.write_bytes(whole.read_bytes()[:2000])
    refused(path)


def test_png_header_only(tmp_path):
    path = tmp_path / "header.png"
    path.write_bytes(crafted_png(40, 40)[:33])  # signature and IHDR, then nothing
    refused(path)


def test_missing_file_and_folder(tmp_path):
    refused(tmp_path / "absent.png")
    refused(tmp_path)


@pytest.mark.parametrize("side", [5_000, 12_000, 50_000])
def test_decompression_bomb_is_refused_before_decoding(tmp_path, side):
    path = tmp_path / f"bomb{side}.png"
    path.write_bytes(crafted_png(side, side, colour_type=6))
    assert path.stat().st_size < 10_000  # a small file claiming side x side RGBA pixels
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DecompressionBombWarning either: the CLI would print it on stderr
        refused(path, "too large")
    assert time.perf_counter() - start < 2.0


def test_decompression_bomb_allocates_nothing_big(tmp_path):
    """In a fresh process (its peak memory is its own): refusing a 50000 x 50000 RGBA bomb (10 GB decoded)."""
    path = tmp_path / "bomb.png"
    path.write_bytes(crafted_png(50_000, 50_000, colour_type=6))
    script = (
        "import json, resource, sys\n"
        "from mnist_core.images import read_image\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "try:\n"
        "    read_image(sys.argv[1]); message = None\n"
        "except ValueError as e:\n"
        "    message = str(e)\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(json.dumps({'message': message, 'grew_kb': after - before}))\n"
    )
    argv = [sys.executable, "-c", script, str(path)]
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["message"] and "too large" in result["message"]
    assert result["grew_kb"] < 50_000, f"peak memory grew by {result['grew_kb']} kB"
