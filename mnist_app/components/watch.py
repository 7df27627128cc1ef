"""The participant's page watching the presenter: an invisible component that polls `api/presence`
(mnist_app/presence_route.py) every POLL_S and, when the seq there is not the one the page was given,
sets the trigger `moved` once, so the follow fragment reruns and reads the presenter's row (follow.py).

No script runs while nothing moves: a poll is one small HTTP request answered from the server's cache.
One trigger per new seq, however slow the rerun it asks for; again only after RETRY_MS if the page
still has not taken it (a rerun that could not read the room). A failed fetch waits for the next tick.
The URL is relative to the page, so a base URL path or a proxy's prefix keeps working.
"""

from __future__ import annotations

import streamlit as st

from ..presence_route import PATH

RETRY_MS = 10_000

_JS = """
export default function ({ parentElement, data, setTriggerValue }) {
  const watch = parentElement.mnistWatch ??= {fired: null, firedAt: 0, busy: false, timer: null};
  watch.seen = data.seq;  // each run of the page gives the seq it last read
  watch.trigger = setTriggerValue;
  const page = window.location.pathname;  // the app's own path (one page): its base path or proxy prefix
  const url = (page.endsWith('/') ? page : page + '/') + '%(path)s';
  async function tick() {
    if (watch.busy || document.hidden) return;
    watch.busy = true;
    try {
      const answer = await fetch(url, {cache: 'no-store', credentials: 'same-origin'});
      const seq = answer.ok ? (await answer.json()).seq : null;
      const now = Date.now();
      if (Number.isInteger(seq) && seq !== watch.seen && (seq !== watch.fired || now - watch.firedAt > %(retry)d)) {
        watch.fired = seq;
        watch.firedAt = now;
        watch.trigger('moved', seq);
      }
    } catch (e) {  // offline, or the server restarting: the next tick asks again
    } finally {
      watch.busy = false;
    }
  }
  if (watch.timer === null) watch.timer = setInterval(tick, data.every_ms);
  return () => { clearInterval(watch.timer); watch.timer = null; };
}
""" % {"path": PATH, "retry": RETRY_MS}

_watch = st.components.v2.component("mnist_app.watch", html="<span hidden></span>", js=_JS, isolate_styles=False)


def mount(seq: int, every_s: float, key: str, on_moved) -> None:
    """The watcher, given the seq the page last read; `on_moved` runs (a callback) when it differs."""
    with st.container(key="follow_watch"):  # hidden by base.css; its script runs all the same
        _watch(data={"seq": int(seq), "every_ms": int(every_s * 1000)}, key=key, on_moved_change=on_moved)
