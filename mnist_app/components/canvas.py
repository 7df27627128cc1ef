"""The drawing canvas: white ink on black, square, the picture returned as RGBA pixels."""

from __future__ import annotations

import logging

import numpy as np
from streamlit_drawable_canvas import st_canvas

from .. import state
from ..settings import CANVAS_PX, STROKE_PX
from ..state import Key

logger = logging.getLogger(__name__)


def canvas_key() -> str:
    return f"draw_canvas_{state.get(Key.CANVAS_GEN)}"


def clear() -> None:
    # A canvas with a new key is a new, empty canvas.
    state.put(Key.CANVAS_GEN, state.get(Key.CANVAS_GEN) + 1)


def drawing() -> tuple[np.ndarray | None, int]:
    """The canvas; its picture (H, W, 4) uint8 (None before any stroke or if it cannot be decoded) and
    how many strokes it holds (the browser tests wait for the answer to their last stroke by it)."""
    result = st_canvas(
        stroke_width=STROKE_PX,
        stroke_color="#FFFFFF",
        background_color="#000000",  # set explicitly: the default is transparent
        width=CANVAS_PX,
        height=CANVAS_PX,
        drawing_mode="freedraw",
        return_image_data=True,
        key=canvas_key(),
    )
    strokes = len((result.json_data or {}).get("objects") or [])
    try:
        return result.image_data, strokes
    except (ValueError, OSError) as e:  # a picture the browser sent that cannot be decoded
        logger.warning("canvas image not readable: %s", e)
        return None, strokes
