"""Bring something the participant must see into view once: the thanks or the refusal after a tap on
"right?" or a digit, the canvas after Clear.

On a phone the answer and the ten digits lie below the canvas, so a participant scrolls down to tap;
Streamlit then redraws the page where it was, and a message or a canvas can sit off-screen (a refusal
below the fold looked like a tap that did nothing). A small invisible component (Components v2: it runs
in the page itself) scrolls its target into view, once per `nonce`: a rerun that draws it again with the
same nonce moves nothing, so the page never jumps while someone reads or scrolls.
"""

from __future__ import annotations

import streamlit as st

_JS = """
const seen = window.mnistReveal ??= {last: null};  // one per page, however often this module loads
export default function ({ data }) {
  if (seen.last === data.nonce) return;
  seen.last = data.nonce;
  let tries = 0;
  const go = () => {  // the target may arrive a frame after this component
    const target = document.querySelector(data.target);
    if (target && target.getBoundingClientRect().height > 0) {
      target.scrollIntoView({block: data.block, inline: 'nearest'});
    } else if (++tries < 40) {
      setTimeout(go, 50);
    }
  };
  requestAnimationFrame(go);
}
"""

_reveal = st.components.v2.component("mnist_app.reveal", html="<span hidden></span>", js=_JS, isolate_styles=False)

BLOCKS = ("start", "center", "end", "nearest")  # scrollIntoView's: where the target comes to rest


def reveal(target: str, block: str, nonce: str) -> None:
    """Scroll the element matching the CSS selector `target` into view (`block`: one of BLOCKS), once
    for this `nonce`. Its container is hidden (style/base.css); its script runs all the same."""
    assert block in BLOCKS, block
    with st.container(key="reveal"):
        _reveal(data={"target": target, "block": block, "nonce": nonce}, key="reveal_script")
