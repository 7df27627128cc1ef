"""What the room stores about one drawing, the checks a new one must pass, and the room's one error.

No streamlit here and no database: the store (store.py) calls `check_entry` before it writes, and the
page reads `Drawing`s. Refusals are `RoomError`s whose `code` the page turns into its own words.
"""

from __future__ import annotations

import io
import math
import re
import struct
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from PIL import Image

N_PIXELS = 28 * 28
THUMB_PX = 112  # 4 screen pixels per MNIST pixel: a wall of 40 fits a projector
MAX_THUMB_BYTES = 32 * 1024  # a 112x112 grey PNG is at most ~12.7 kB even as incompressible noise
MAX_MODEL_NAME = 64  # the checkpoint names' limit (mnist_core.checkpoints), and ":trained"
# Whose drawing it is: a participant's unguessable per-browser token (or a session id), 16 to 32
# URL-safe characters (secrets.token_urlsafe(24) or uuid4().hex); the flood limit is counted per token.
_SESSION = re.compile(r"[A-Za-z0-9_-]{16,32}")
_PNG = b"\x89PNG\r\n\x1a\n"

# RoomError codes. Refused input (nothing stored): BAD_LABEL, BAD_INPUT, EMPTY, TOO_LARGE, FLOOD.
UNAVAILABLE = "unavailable"  # the database cannot be used now: server down, locked, read-only, corrupt
NEWER_SCHEMA = "newer_schema"  # the database was made by a newer version of the app
BAD_LOCATION = "bad_location"  # MNIST_ROOM_DB (or the location given) is not a path or a usable URL
BAD_LABEL = "bad_label"  # the intended label is not a digit 0-9
BAD_INPUT = "bad_input"  # a malformed field: session id, model name, prediction, probabilities, shape
EMPTY = "empty"  # a drawing with no ink, or no thumbnail
TOO_LARGE = "too_large"  # more than 784 pixels, or a thumbnail larger than 112x112 or MAX_THUMB_BYTES
FLOOD = "flood"  # the session stored its per-minute limit already
CODES = (UNAVAILABLE, NEWER_SCHEMA, BAD_LOCATION, BAD_LABEL, BAD_INPUT, EMPTY, TOO_LARGE, FLOOD)


class RoomError(Exception):
    """The room refused or could not do something: `code` (one of CODES) for the page's catalogue,
    `detail` one line for the server log (never shown as the page's message)."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code, self.detail = code, " ".join(str(detail).split())[:300]


@dataclass(frozen=True)
class Drawing:
    """One stored drawing, as the wall shows it (the 28x28 input is left out: see RoomStore.all_inputs)."""

    id: int
    created: datetime  # UTC, timezone-aware
    session_id: str
    label: int  # the digit its author meant
    model: str  # the checkpoint name that read it
    predicted: int
    probabilities: tuple[float, ...]  # 10
    thumbnail: bytes = field(repr=False)  # PNG, grey, at most THUMB_PX square
    hidden: bool = False

    @property
    def correct(self) -> bool:
        return self.predicted == self.label


def new_session_id() -> str:
    """An anonymous id for one browser session: random, says nothing about the person."""
    return uuid.uuid4().hex


def thumbnail_png(picture: np.ndarray) -> bytes:
    """A (H, W) uint8 grey picture (the canvas) -> a THUMB_PX x THUMB_PX grey PNG."""
    image = Image.fromarray(np.asarray(picture, dtype=np.uint8), mode="L")
    out = io.BytesIO()
    image.resize((THUMB_PX, THUMB_PX), Image.Resampling.BOX).save(out, format="PNG", optimize=True)
    return out.getvalue()


def _is_digit(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and 0 <= value <= 9


def _input28(pixels) -> bytes:
    """(784,) or (28, 28): uint8 (255 = ink) or floats in [0, 1] as the model received them -> 784 bytes."""
    array = np.asarray(pixels)
    if array.size == 0:
        raise RoomError(EMPTY, "the drawing has no pixels")
    if array.size > N_PIXELS:
        raise RoomError(TOO_LARGE, f"the drawing has {array.size} pixels, more than {N_PIXELS}")
    if array.shape not in ((N_PIXELS,), (28, 28)):
        raise RoomError(BAD_INPUT, f"the drawing is {array.shape}, not 28x28")
    if array.dtype != np.uint8:
        if not np.issubdtype(array.dtype, np.floating) or not np.all((array >= 0) & (array <= 1)):
            raise RoomError(BAD_INPUT, "the drawing's pixels must be uint8, or floats in [0, 1]")
        array = np.rint(array * 255).astype(np.uint8)
    if not array.any():
        raise RoomError(EMPTY, "the drawing has no ink")
    return array.reshape(-1).tobytes()


def _thumbnail(png) -> bytes:
    if not isinstance(png, (bytes, bytearray)) or not png:
        raise RoomError(EMPTY, "no thumbnail")
    if len(png) > MAX_THUMB_BYTES:
        raise RoomError(TOO_LARGE, f"the thumbnail has {len(png)} bytes, more than {MAX_THUMB_BYTES}")
    if len(png) < 24 or png[:8] != _PNG or png[12:16] != b"IHDR":
        raise RoomError(BAD_INPUT, "the thumbnail is not a PNG")
    width, height = struct.unpack(">II", png[16:24])  # the header only: nothing is decoded here
    if width > THUMB_PX or height > THUMB_PX:
        raise RoomError(TOO_LARGE, f"the thumbnail is {width}x{height}, more than {THUMB_PX}x{THUMB_PX}")
    return bytes(png)


def _probabilities(values) -> list[float]:
    try:
        found = [float(v) for v in values]
    except (TypeError, ValueError):
        raise RoomError(BAD_INPUT, "the probabilities are not numbers") from None
    if len(found) != 10 or not all(math.isfinite(p) and 0 <= p <= 1 for p in found):
        raise RoomError(BAD_INPUT, "the probabilities must be 10 numbers in [0, 1]")
    return [round(p, 6) for p in found]


def check_entry(*, session_id, label, model, predicted, probabilities, input28, thumbnail) -> dict:
    """The columns of a new drawing, checked; RoomError (nothing stored) for anything else."""
    if not _is_digit(label):
        raise RoomError(BAD_LABEL, f"label {label!r} is not a digit 0-9")
    if not isinstance(session_id, str) or not _SESSION.fullmatch(session_id):
        raise RoomError(BAD_INPUT, "the participant token is not 16 to 32 letters, digits, '-' or '_'")
    if not isinstance(model, str) or not 0 < len(model) <= MAX_MODEL_NAME:
        raise RoomError(BAD_INPUT, f"the model name must be 1 to {MAX_MODEL_NAME} characters")
    if not _is_digit(predicted):
        raise RoomError(BAD_INPUT, f"prediction {predicted!r} is not a digit 0-9")
    return {
        "session_id": session_id, "label": int(label), "model": model, "predicted": int(predicted),
        "probabilities": _probabilities(probabilities), "input28": _input28(input28),
        "thumbnail": _thumbnail(thumbnail),
    }  # fmt: skip
