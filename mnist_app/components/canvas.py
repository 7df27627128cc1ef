"""The drawing canvas (streamlit-drawable-canvas), with large labelled Undo and Clear buttons of our own.

The component's own toolbar sits invisible over the canvas's top right corner until hovered: a finger
starting a stroke there scrolls the page or switches on its Edit mode, after which strokes no longer
draw, and its icons carry no words a participant understands. It has no option to hide it, and its
styles live in a shadow root the page's CSS cannot reach. So a small component of ours (`controls`)
hides it from inside that shadow root and offers Undo and Clear buttons that press the toolbar's own
Undo and Reset: both act in the browser at once, on the same canvas, so a stroke started right after
Clear is never lost (a new canvas key, the old way, lost strokes started in the next 300 ms).

The picture the browser sends is a PNG data URL, and a participant's browser can send anything: one
crafted 452 kB message with a 9000x9000 PNG took a server from 863 MB to 3855 MB for 10.9 s. So
`picture` bounds it before decoding anything: the URL's length, then the width and height the PNG's
IHDR declares (its first 24 bytes) against the canvas's own size; only the PNG's critical chunks
reach Pillow (a compressed text chunk inflates to up to 1 MB each, 64 MB in all, under Pillow's own
limits). Pillow's decompression-bomb guard (89 megapixels) is a floor, far above this bound.
"""

from __future__ import annotations

import base64
import binascii
import io
import logging
import struct

import numpy as np
import streamlit as st
from PIL import Image
from streamlit_drawable_canvas import st_canvas

from ..i18n import t
from ..settings import CANVAS_PX, STROKE_PX

logger = logging.getLogger(__name__)
KEY = "draw_canvas"
# The component exports its canvas with Fabric's toDataURL at multiplier 1, retina scaling off: a
# CANVAS_PX square at every devicePixelRatio (measured in Chromium emulating phones at 2, 2.625 and 3:
# 336x336, a 6 kB URL for a stroke). A component that exported at the screen's resolution would
# send up to 3x; more is not our canvas. Such a picture is scaled down to CANVAS_PX before use.
MAX_PIXEL_RATIO = 3
MAX_SIDE = CANVAS_PX * MAX_PIXEL_RATIO
_PREFIX = "data:image/png;base64,"
# The largest PNG of MAX_SIDE that deflate can write (stored blocks: 5 bytes per 65535) in base64.
_MAX_PNG = MAX_SIDE * (1 + 4 * MAX_SIDE) * 65540 // 65535 + 4096
MAX_URL_CHARS = len(_PREFIX) + 4 * (_MAX_PNG // 3 + 1)
_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CRITICAL = (b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND")  # all a picture needs; tRNS: transparency

_JS = """
const HIDE = '.dc-toolbar{display:none !important}';
const LABELS = {undo: 'Undo', clear: 'Reset canvas & history', send: 'Update the app with this drawing'};  // the toolbar's own aria-labels

function canvasRoot() {
  const host = document.querySelector('.st-key-%(key)s');
  const holder = host && [...host.querySelectorAll('*')].find((el) => el.shadowRoot);
  return holder ? holder.shadowRoot : null;
}

function hideToolbar() {
  const root = canvasRoot();
  if (root && !root.querySelector('style[data-mnist]')) {
    const style = document.createElement('style');
    style.dataset.mnist = '1';
    style.textContent = HIDE;
    root.appendChild(style);
  }
  return root !== null;
}

function label(text) {  // a screen reader's name for the drawing surface, which has none of its own
  const canvas = canvasRoot()?.querySelector('canvas.upper-canvas');
  if (canvas && canvas.getAttribute('aria-label') !== text) {
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', text);
  }
  return canvas != null;  // the shadow root comes before Fabric's canvas in it
}

function press(action) {
  const target = canvasRoot()?.querySelector(`button[aria-label="${LABELS[action]}"]`);
  if (target) target.click();
}

// The component sends a stroke 200 ms after the pen lifts (a debounce for its realtime mode): with
// 30 sessions drawing, that wait was half of the median time to an answer. When a stroke that began
// on the canvas ends, press the toolbar's own send button as soon as the component has stored the
// stroke (it does so in a microtask after the pen lifts): its send cancels the pending one, so
// each stroke is still sent once.
const lift = window.mnistLift ??= {armed: false};  // one per page, however often this module loads
if (!lift.listening) {
  lift.listening = true;
  for (const type of ['pointerup', 'pointercancel', 'touchend', 'mouseup']) {
    document.addEventListener(type, () => {
      if (!lift.armed) return;
      lift.armed = false;  // one press for the pointer, touch and mouse events of one lift
      setTimeout(() => press('send'), 0);
    }, true);
  }
}
function armOnce() {
  const root = canvasRoot();
  if (!root || root.mnistArmed) return;
  root.mnistArmed = true;
  root.addEventListener('pointerdown', () => { lift.armed = true; }, true);
}

export default function ({ parentElement, data }) {
  const bar = parentElement.querySelector('.canvas-controls');
  bar.replaceChildren();
  for (const action of ['undo', 'clear']) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'canvas-button canvas-' + action;
    button.textContent = data.labels[action];
    button.addEventListener('click', () => press(action));
    bar.appendChild(button);
  }
  const timer = setInterval(() => hideToolbar() && (armOnce(), label(data.labels.canvas)) && clearInterval(timer), 100);
  return () => clearInterval(timer);
}
""" % {"key": KEY}

_CSS = """
.canvas-controls {display: flex; gap: .8rem; margin-top: .6rem;}
.canvas-button {font: inherit; font-size: 1.15rem; font-weight: 600; padding: .55rem 1.4rem; min-height: 3rem;
  border: 1px solid rgba(49, 51, 63, .3); border-radius: .6rem; background: white; cursor: pointer;}
.canvas-button:active {background: #f0f2f6;}
"""

controls = st.components.v2.component(
    "mnist_app.canvas_controls", html='<div class="canvas-controls"></div>', js=_JS, css=_CSS, isolate_styles=False
)


def drawing(decode: bool = True) -> tuple[np.ndarray | None, int, str | None]:
    """The canvas and its buttons; the picture (CANVAS_PX, CANVAS_PX) uint8 grey (None before any stroke,
    if it is refused, or unless `decode`), how many strokes it holds (the browser tests wait for the
    answer to their last stroke by it) and, for a refused picture, why (`Refused.code`)."""
    result = st_canvas(
        stroke_width=STROKE_PX,
        stroke_color="#FFFFFF",
        background_color="#000000",  # set explicitly: the default is transparent
        width=CANVAS_PX,
        height=CANVAS_PX,
        drawing_mode="freedraw",
        return_image_data=True,
        key=KEY,
    )
    controls(data={"labels": {"undo": t("draw.undo"), "clear": t("draw.clear"), "canvas": t("draw.canvas")}}, key="canvas_controls")
    strokes = stroke_count(result.json_data)
    url = getattr(result, "_image_data_url", None)  # the component's own `image_data` decodes it unchecked
    if not decode or url is None:
        return None, strokes, None
    try:
        return picture(url), strokes, None
    except Refused as e:
        logger.warning("canvas picture refused: %s", e)
        return None, strokes, e.code


def stroke_count(raw) -> int:
    """The strokes in the canvas's Fabric JSON; 0 for anything that is not such JSON."""
    objects = raw.get("objects") if isinstance(raw, dict) else None
    return len(objects) if isinstance(objects, list) else 0


class Refused(ValueError):
    """A canvas value no canvas of ours sends. `code`: "too_large" or "unreadable"."""

    def __init__(self, code: str, detail: str):
        super().__init__(f"{code}: {detail}")
        self.code = code


def picture(url) -> np.ndarray:
    """The canvas's PNG data URL -> (CANVAS_PX, CANVAS_PX) uint8 grey, bounded before anything is decoded.

    Grey, not RGBA: the canvas draws white on an opaque black background, so the luminance is the
    ink, and a quarter of the pixels go on to the preprocessing (its first step took 1.4 ms of a
    stroke's CPU on RGBA, 0.3 ms on grey; issue 25)."""
    if not isinstance(url, str) or not url.startswith(_PREFIX):
        raise Refused("unreadable", "not a PNG data URL")
    if len(url) > MAX_URL_CHARS:
        raise Refused("too_large", f"a data URL of {len(url)} characters")
    width, height = _declared_size(url)
    if not CANVAS_PX <= width == height <= MAX_SIDE:
        raise Refused("too_large" if max(width, height) > MAX_SIDE else "unreadable", f"a {width}x{height} PNG")
    try:
        data = _critical_chunks(base64.b64decode(url[len(_PREFIX):], validate=True))
        with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
            if image.size != (width, height):
                raise Refused("unreadable", f"IHDR says {width}x{height}, Pillow {image.size}")
            grey = image.convert("L")  # the decoding: at most MAX_SIDE^2 bytes once converted
    except (binascii.Error, OSError, ValueError, SyntaxError, struct.error) as e:  # Pillow's errors for a broken PNG
        raise Refused("unreadable", f"{type(e).__name__}: {e}") from None
    if grey.size != (CANVAS_PX, CANVAS_PX):
        grey = grey.resize((CANVAS_PX, CANVAS_PX), Image.Resampling.BOX)  # a stroke as thick as on screen
    return np.asarray(grey)


def _declared_size(url: str) -> tuple[int, int]:
    """The width and height in the PNG's IHDR: its first 24 bytes, the URL's first 32 base64 characters."""
    try:
        head = base64.b64decode(url[len(_PREFIX) : len(_PREFIX) + 32], validate=True)
    except binascii.Error:
        raise Refused("unreadable", "not base64") from None
    if len(head) < 24 or head[:8] != _SIGNATURE or head[12:16] != b"IHDR":
        raise Refused("unreadable", "no PNG header")
    return struct.unpack(">II", head[16:24])


def _critical_chunks(data: bytes) -> bytes:
    """The PNG with only the chunks a picture needs (their CRCs intact; Pillow checks them)."""
    kept, at = [_SIGNATURE], len(_SIGNATURE)
    while at + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[at : at + 8])
        end = at + 12 + length
        if kind in _CRITICAL:
            kept.append(data[at:end])
        if kind == b"IEND":
            break
        at = end
    return b"".join(kept)
