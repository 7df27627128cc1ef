"""The participant's token, kept in the browser: the same person in every tab and after a reload.

A participant owns what they save, train and draw by an unguessable token (32 hex digits), never by
the nickname others see. The session makes one at its start (state.init); this small component,
invisible, keeps it in the browser's localStorage: a browser that has one already sends it back and
the session adopts it, one that has none stores the session's. A token that is not 32 hex digits is
ignored, so a crafted value can neither be long nor carry markup.

It keeps the presenter's pass the same way (presenter_access.py: a signed, expiring proof that this browser
gave the presenter key): stored when the server issues one, sent back by a new session (a reload),
dropped when the server says it is refused or given up.
"""

from __future__ import annotations

import re

import streamlit as st

from .. import state
from ..state import Key

_TOKEN = re.compile(r"[0-9a-f]{32}")
STORAGE_KEY = "mnist-participant"
PASS_KEY = "mnist-presenter"

_JS = """
export default function ({ data, setStateValue }) {
  let token = null;
  try {
    token = window.localStorage.getItem('%(storage)s');
    if (!/^[0-9a-f]{32}$/.test(token || '')) {
      token = data.token;
      window.localStorage.setItem('%(storage)s', token);
    }
  } catch (e) {  // storage refused (a private window's policy): the session's token stands
    token = data.token;
  }
  if (token !== data.token) setStateValue('token', token);
  try {
    if (data.pass) window.localStorage.setItem('%(pass)s', data.pass);
    else if (data.forget) window.localStorage.removeItem('%(pass)s');
    else if (!data.presenter) {
      const kept = window.localStorage.getItem('%(pass)s');
      if (kept) setStateValue('pass', kept);
    }
  } catch (e) {}  // no storage: the presenter gives the key again after a reload
}
""" % {"storage": STORAGE_KEY, "pass": PASS_KEY}

_identity = st.components.v2.component("mnist_app.identity", html="<span hidden></span>", js=_JS, isolate_styles=False)


def _adopt() -> None:
    value = state.get(Key.IDENTITY)
    token = value.get("token") if isinstance(value, dict) else None
    if isinstance(token, str) and _TOKEN.fullmatch(token) and token != state.get(Key.TOKEN):
        state.adopt_token(token)
        state.put(Key.TOKEN_CHECKED, False)  # a returning browser: it may have a training going (training.py)


def _resume() -> None:
    from .. import presenter_access  # its checks, only when a browser sends a pass

    value = state.get(Key.IDENTITY)
    presenter_access.resume(value.get("pass") if isinstance(value, dict) else None)


def sync() -> None:
    """Mount the component (every run: it stays mounted and costs nothing when nothing changed)."""
    data = {"token": state.get(Key.TOKEN), "pass": state.get(Key.PRESENTER_PASS) or "",
            "forget": state.get(Key.PASS_FORGET), "presenter": bool(state.get(Key.IS_PRESENTER))}  # fmt: skip
    with st.container(key="identity"):  # hidden by base.css; its script runs all the same
        _identity(data=data, key=Key.IDENTITY, on_token_change=_adopt, on_pass_change=_resume)
