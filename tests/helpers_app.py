"""Shared by the AppTest tests: canvas values, section switching, reading the page, catalogue lookups."""

from __future__ import annotations

import base64
import io
import json
import re
import time

import numpy as np
from google.protobuf.json_format import MessageToDict
from PIL import Image

from mnist_app.i18n import CATALOGUES
from mnist_app.state import Key

CANVAS = 336
LANGS = ("ko", "en")


def T(lang: str, key: str, **values) -> str:
    """What the app shows for `key` in `lang`."""
    text = CATALOGUES[lang][key]
    return text.format(**values) if values else text


def canvas_value(rgba: np.ndarray) -> dict:
    """The component's value as the browser sends it after a stroke."""
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    return {"drawing": {"raw": {"objects": [], "background": "#000000"}, "data": url}}


def drawing(*boxes: tuple[int, int, int, int]) -> np.ndarray:
    """A black canvas with white rectangles (top, bottom, left, right), as the app's canvas exports it."""
    rgba = np.zeros((CANVAS, CANVAS, 4), np.uint8)
    rgba[..., 3] = 255
    for top, bottom, left, right in boxes:
        rgba[top:bottom, left:right, :3] = 255
    return rgba


ONE = drawing((40, 300, 156, 180))  # a vertical stroke: a "1"


def draw(at, rgba: np.ndarray, strokes: int = 1):
    """What the browser sends after a stroke: the canvas's picture and its strokes."""
    value = canvas_value(rgba)
    value["drawing"]["raw"]["objects"] = [{"type": "Path"}] * strokes
    at.session_state["draw_canvas"] = value
    return at.run()


def open_section(at, section: str):
    at.session_state[Key.SECTION] = section
    return at.run()


def markdown_text(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def predicted_digit(at) -> int | None:
    found = re.search(r'class="prediction[^"]*" id="prediction" data-digit="(\d)" data-strokes="\d+"', markdown_text(at))
    return None if found is None else int(found.group(1))


def shown_test_image(at) -> dict:
    found = re.search(r'data-index="(\d+)" data-true="(\d)" data-predicted="(\d)"', markdown_text(at))
    assert found, "no test image shown"
    return dict(zip(("index", "true", "predicted"), map(int, found.groups())))


def assert_clean(at) -> None:
    """No exception, and no error line either (the section guard turns exceptions into error lines)."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def wait_for_training(at, timeout: float = 90):
    job = at.session_state[Key.TRAIN_JOB]
    deadline = time.monotonic() + timeout
    while job.running:
        assert time.monotonic() < deadline, f"training still {job.status} after {timeout} s"
        time.sleep(0.05)
    return at.run()


def set_training_options(at, epochs=1, lr=0.01, batch=64, hidden="16", seed=0):
    at.number_input(key=Key.TRAIN_EPOCHS).set_value(epochs)
    at.number_input(key=Key.TRAIN_LR).set_value(lr)
    at.number_input(key=Key.TRAIN_BATCH).set_value(batch)
    at.text_input(key=Key.TRAIN_HIDDEN).set_value(hidden)
    at.number_input(key=Key.TRAIN_SEED).set_value(seed)


def train_tiny(at, **options):
    open_section(at, "train")
    set_training_options(at, **options)
    at.button(key="train_button").click().run()
    assert at.session_state[Key.TRAIN_JOB] is not None, [e.value for e in at.error]
    return wait_for_training(at)


# Fields of element protos that hold text a person reads (not values they typed or chose).
TEXT_FIELDS = {"body", "label", "text", "caption", "placeholder", "help", "content", "title"}
TAGS = re.compile(r"<style>.*?</style>|<[^>]+>", re.S)


def _texts(node, found: list[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "spec" and isinstance(value, str):
                _texts(json.loads(value), found)
            elif key in TEXT_FIELDS and isinstance(value, str):
                found.append(TAGS.sub(" ", value))
            elif key == "options" and isinstance(value, list) and all(isinstance(v, str) for v in value):
                found.extend(value)
            elif key not in ("data", "arrowData", "datasets"):  # table cells are data, not interface text
                _texts(value, found)
    elif isinstance(node, list):
        for value in node:
            _texts(value, found)


def visible_texts(at) -> list[str]:
    """Every piece of interface text on the page: labels, bodies, captions, options, chart titles."""
    found: list[str] = []
    stack = [at._tree]
    while stack:
        node = stack.pop()
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "DESCRIPTOR"):
            _texts(MessageToDict(proto), found)
        children = getattr(node, "children", {})
        stack.extend(children.values() if isinstance(children, dict) else children)
    return [text for text in found if text.strip()]
