"""The room's drawings as a wall of thumbnails: the network's answer on each, green when right. For the
presenter each tile also carries its number (to hide it) and its author's nickname (to hide all of
theirs); never the token behind the nickname."""

from __future__ import annotations

import base64
import html

import streamlit as st

from ..i18n import t
from ..state import nick_of


def wall(drawings, *, show_ids: bool = False) -> None:
    """Thumbnails (newest first) with the predicted digit; `data-*` for the browser tests."""
    if not drawings:
        st.caption(t("room.empty"))
        return
    tiles = []
    for d in drawings:
        src = "data:image/png;base64," + base64.b64encode(d.thumbnail).decode()
        verdict = "right" if d.correct else "wrong"
        label = html.escape(t("room.tile", predicted=d.predicted, meant=d.label))
        number = f'<span class="tile-id">#{d.id} {nick_of(d.session_id)}</span><br>' if show_ids else ""  # a line of its own: the tile no wider
        tiles.append(f'<figure class="tile {verdict}" data-id="{d.id}" data-predicted="{d.predicted}" data-meant="{d.label}">'
                     f'<img src="{src}" alt="{label}"><figcaption>{number}{label}</figcaption></figure>')  # fmt: skip
    st.html(f'<div class="wall">{"".join(tiles)}</div>')
