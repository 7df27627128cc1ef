"""The join card: the address participants open, as text and as a QR code large enough to scan from
the back of the room, on the presenter's screen (and full screen on a projector).

The address is MNIST_PUBLIC_URL when set (a server behind a proxy or a tunnel), else this server's
address on the local network and its port; the server's log prints it at start (warmup.lifespan).
The QR code opens the page in the room's language on Draw. The code is drawn by `segno` (pure Python)
as inline SVG: sharp at any size, no image file.
"""

from __future__ import annotations

import functools
import html
import socket
from urllib.parse import urlencode

from .settings import public_url


@functools.cache
def lan_address() -> str:
    """This machine's address on the local network: the source address of a route outwards (a UDP
    socket's connect sends nothing); 127.0.0.1 on a machine with no network."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def base_url() -> str:
    """MNIST_PUBLIC_URL, else http://<LAN address>:<the server's port>."""
    given = public_url()
    if given:
        return given.rstrip("/")
    from streamlit import config

    return f"http://{lan_address()}:{config.get_option('server.port')}"


def join_url(lang: str) -> str:
    """The page participants open: the room's language, on Draw."""
    return f"{base_url()}/?{urlencode({'lang': lang, 'section': 'draw', 'follow': 1})}"


@functools.lru_cache(maxsize=8)
def qr_svg(url: str) -> str:
    """The QR code of `url` as an inline SVG element that scales to its box (error correction M:
    a projector's glare or a smudge may hide 15% of it)."""
    import segno

    return segno.make(url, error="m").svg_inline(scale=1, border=4, dark="#000", light="#fff", omitsize=True)


def card_html(url: str, title: str, hint: str, full: bool) -> str:
    """The card: the title, the QR code and the address in large type (`full`: covering the screen)."""
    kind, shown = "join-card join-full" if full else "join-card", html.escape(url)
    return (f'<div class="{kind}" data-url="{shown}"><div class="join-title">{title}</div>'
            f'<div class="join-qr">{qr_svg(url)}</div><div class="join-url">{shown}</div>'
            f'<div class="join-hint">{hint}</div></div>')  # fmt: skip


CSS = """<style>
.join-card {background:#fff; color:#111; border:2px solid #ddd; border-radius:12px; padding:16px; text-align:center;}
.join-card .join-qr svg {width:min(60vh, 90%); height:auto; image-rendering:pixelated;}
.join-card .join-url {font-size:2.2rem; font-weight:700; word-break:break-all;}
.join-card .join-title {font-size:1.8rem; font-weight:700;}
.join-full {position:fixed; inset:0; z-index:999990; border:none; border-radius:0; display:flex;
            flex-direction:column; justify-content:center; align-items:center;}
.join-full .join-qr svg {width:min(72vh, 80vw);}
</style>"""
