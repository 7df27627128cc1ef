"""The drawing canvas (streamlit-drawable-canvas), with large labelled Undo and Clear buttons of our own.

The component's own toolbar sits invisible over the canvas's top right corner until hovered: a finger
starting a stroke there scrolls the page or switches on its Edit mode, after which strokes no longer
draw, and its icons carry no words a participant understands. It has no option to hide it, and its
styles live in a shadow root the page's CSS cannot reach. So a small component of ours (`controls`)
hides it from inside that shadow root and offers Undo and Clear buttons that press the toolbar's own
Undo and Reset: both act in the browser at once, on the same canvas, so a stroke started right after
Clear is never lost (a new canvas key, the old way, lost strokes started in the next 300 ms).
"""

from __future__ import annotations

import logging

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from ..i18n import t
from ..settings import CANVAS_PX, STROKE_PX

logger = logging.getLogger(__name__)
KEY = "draw_canvas"

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
  const timer = setInterval(() => hideToolbar() && (armOnce(), clearInterval(timer)), 100);
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


def drawing(decode: bool = True) -> tuple[np.ndarray | None, int]:
    """The canvas and its buttons; the picture (H, W, 4) uint8 (None before any stroke, if it cannot be
    decoded, or unless `decode`) and how many strokes it holds (the browser tests wait for the answer
    to their last stroke by it)."""
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
    controls(data={"labels": {"undo": t("draw.undo"), "clear": t("draw.clear")}}, key="canvas_controls")
    strokes = len((result.json_data or {}).get("objects") or [])
    if not decode:
        return None, strokes
    try:
        return result.image_data, strokes
    except (ValueError, OSError) as e:  # a picture the browser sent that cannot be decoded
        logger.warning("canvas image not readable: %s", e)
        return None, strokes
