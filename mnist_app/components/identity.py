"""The participant's token, kept in the browser: the same person in every tab and after a reload.

A participant owns what they save, train and draw by an unguessable token (32 hex digits), never by
the nickname others see. The session makes one at its start (state.init); this small component,
invisible, keeps it in the browser's localStorage: a browser that has one already sends it back and
the session adopts it, one that has none stores the session's. A token that is not 32 hex digits is
ignored, so a crafted value can neither be long nor carry markup.
"""

from __future__ import annotations

import re

import streamlit as st

from .. import state
from ..state import Key

_TOKEN = re.compile(r"[0-9a-f]{32}")
STORAGE_KEY = "mnist-participant"

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
}
""" % {"storage": STORAGE_KEY}

_identity = st.components.v2.component("mnist_app.identity", html="<span hidden></span>", js=_JS, isolate_styles=False)


def _adopt() -> None:
    value = state.get(Key.IDENTITY)
    token = value.get("token") if isinstance(value, dict) else None
    if isinstance(token, str) and _TOKEN.fullmatch(token) and token != state.get(Key.TOKEN):
        state.adopt_token(token)
        state.put(Key.TOKEN_CHECKED, False)  # a returning browser: it may have a training going (training.py)


def sync() -> None:
    """Mount the component (every run: it stays mounted and costs nothing when nothing changed)."""
    with st.container(key="identity"):  # hidden by base.css; its script runs all the same
        _identity(data={"token": state.get(Key.TOKEN)}, key=Key.IDENTITY, on_token_change=_adopt)
