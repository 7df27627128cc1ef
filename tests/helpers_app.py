"""Shared by the AppTest tests: canvas values, section switching, reading the page, catalogue lookups."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import time

import numpy as np
import pandas as pd
from google.protobuf.json_format import MessageToDict
from PIL import Image
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.proto.WidgetStates_pb2 import WidgetState

from mnist_app.i18n import text_in
from mnist_app.state import Key

CANVAS = 336
LANGS = ("ko", "en")


def T(lang: str, key: str, **values) -> str:
    """What the app shows for `key` in `lang`."""
    return text_in(lang, key, **values)


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


def probability_bars(at) -> dict[int, tuple[float, str]]:
    """The ten probabilities on the page (charts.probability_chart): {digit: (p, "predicted", "true" or "other")}."""
    charts = [m.value for m in at.markdown if 'class="probs"' in m.value]
    assert len(charts) == 1, f"{len(charts)} probability charts"
    found = re.findall(r'class="probs-col probs-(\w+)" data-digit="(\d)" data-p="([0-9.]+)"', charts[0])
    return {int(d): (float(p), kind) for kind, d, p in found}


def chart_of(at, key: str):
    """The Vega-Lite chart drawn with this widget key (AppTest knows charts only as unknown elements)."""
    found = [node for node in at.get("vega_lite_chart") if node.key == key]
    assert len(found) == 1, f"{len(found)} charts with key {key!r}"
    return found[0]


def chart_frame(at, key: str) -> pd.DataFrame:
    return convert_arrow_bytes_to_pandas_df(chart_of(at, key).proto.data.data)


def send(at, state: WidgetState):
    """Run with one widget value more than AppTest can set itself (a chart's selection, a dialog's dismissal),
    beside the values of the widgets it knows, as the browser sends them all."""
    states = at._tree.get_widget_states()
    states.widgets.append(state)
    return at._run(states)


def click_chart(at, key: str, param: str, item: dict, store: list[dict]):
    """A click on a mark of a chart whose point selection toggles, as Vega does it: the item joins the
    selection `store` (or leaves it, if it was there), and the browser sends the whole selection."""
    store[:] = [x for x in store if x != item] if item in store else [*store, item]
    value = json.dumps({"selection": {param: list(store) if store else {}}})  # Vega's empty selection is {}
    return send(at, WidgetState(id=chart_of(at, key).proto.id, string_value=value))


def dialogs(at) -> list:
    return [node for node in at._tree if getattr(node, "type", None) == "dialog"]


def dismiss_dialog(at):
    """The dialog's close button (or Escape): its on_dismiss runs."""
    (dialog,) = dialogs(at)
    return send(at, WidgetState(id=dialog.proto.dialog.id, trigger_value=True))


def room(kind: str, method: str, *args):
    """Call a method of the room the AppTests use (`kind`: "queue" or "shelf") on a store of its own."""
    from mnist_app.room import open_store
    from mnist_app.room.queue import JobQueue
    from mnist_app.room.shelf import Shelf

    store = open_store(os.environ["MNIST_ROOM_DB"])
    try:
        return getattr({"queue": JobQueue, "shelf": Shelf}[kind](store), method)(*args)
    finally:
        store.close()


def training_job(at):
    """The session's training as the room's queue has it now (mnist_app.room.queue.Job), or None."""
    job_id = at.session_state[Key.TRAIN_JOB]
    return None if job_id is None else room("queue", "get", job_id)


def saved_names() -> list[str]:
    """The models saved in the room (its database, not files)."""
    return [m.name for m in room("shelf", "list")]


def wait_for_training(at, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while (job := training_job(at)).running:
        assert time.monotonic() < deadline, f"training still {job.status} after {timeout} s"
        time.sleep(0.1)
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


def watcher_seq(at) -> int | None:
    """The seq the page gave its presenter watcher (components/watch.py) in its last run; None if not drawn."""
    found = [n for n in at.get("bidi_component") if n.proto.component_name == "mnist_app.watch"]
    return json.loads(found[0].proto.json)["seq"] if found else None


def poll(at, seq: int | None = None):
    """What the watcher's script does every second: ask the route for the presenter's seq (here: the
    room's row) and, if it is not the one the page was given, set its trigger (one rerun). Returns
    whether it did; a page that drew no watcher (the presenter's) is not asked. `seq`: the route's answer
    when the test knows it (a room the page cannot read)."""
    from streamlit.components.v2.bidi_component.main import _make_trigger_id

    from mnist_app.room import open_store
    from mnist_app.room.presence import Presenter

    if seq is None:
        found = Presenter(open_store(os.environ["MNIST_ROOM_DB"])).read()
        seq = 0 if found is None else found.seq
    if watcher_seq(at) in (None, seq):
        return False
    (node,) = [n for n in at.get("bidi_component") if n.proto.component_name == "mnist_app.watch"]
    events = json.dumps([{"event": "moved", "value": seq}])
    send(at, WidgetState(id=_make_trigger_id(node.proto.id, "events"), json_trigger_value=events))
    return True
