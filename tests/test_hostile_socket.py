"""A crafted websocket message through Streamlit's protocol, against a real `streamlit run app.py`:
what a browser sends for a stroke (recorded from Chromium, as bench/generators/socket_room.py does),
its canvas picture swapped for a 9000x9000 PNG. The server refuses it with one line and its peak
resident memory rises by about a megabyte, as for a normal stroke (measured by hand with two such
sessions beside ten drawers before the canvas bounded its picture: +5787 MB and 3.8-14.9 s a run)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.browser import streamlit_server
from bench.generators.socket_room import record
from helpers_app import T
from helpers_hostile import data_url, full_png, peak_rss_rise, rss_mb

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def with_picture(message: bytes, url: str) -> bytes:
    """A recorded stroke message with its canvas picture replaced by `url`."""
    back = BackMsg.FromString(message)
    (canvas,) = [w for w in back.rerun_script.widget_states.widgets if w.id.endswith("-draw_canvas")]
    value = json.loads(canvas.json_value)
    assert value["drawing"]["data"].startswith("data:image/png;base64,")
    value["drawing"]["data"] = url
    canvas.json_value = json.dumps(value)
    return back.SerializeToString()


def server_pid(url: str) -> int:
    """The `streamlit run` process listening on `url`'s port."""
    port = url.rsplit(":", 1)[1]
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"streamlit" in words and port.encode() in words:
            return int(cmdline.parent.name)
    raise AssertionError(f"no streamlit process on port {port}")


async def send(ws, message: bytes) -> tuple[float, str]:
    """Send one message; seconds to the end of its script run, and every text of the page it drew."""
    start, texts = time.perf_counter(), []
    await ws.send(message)
    while True:
        reply = ForwardMsg.FromString(await ws.recv())
        if reply.WhichOneof("type") == "delta":
            texts.append(str(reply.delta))
        if reply.WhichOneof("type") == "script_finished":
            return time.perf_counter() - start, "\n".join(texts)


async def session(url: str, cookie: str, steps):
    """One websocket session; `steps(ws)` drives it."""
    ws_url = url.replace("http", "ws", 1) + "/_stcore/stream"
    headers = {"Cookie": f"_streamlit_xsrf={cookie}", "Origin": url}
    async with websockets.connect(ws_url, subprotocols=["streamlit", cookie], additional_headers=headers, max_size=None) as ws:
        return await steps(ws)


def attack(url: str, pid: int) -> dict:
    """Open a session, draw a "1", then send the crafted picture: each step's seconds and peak RSS rise."""
    recording = record(url, "en")
    first, _, stroke, _ = recording.messages
    crafted = with_picture(stroke, data_url(full_png(9000)))
    figures = {"crafted_bytes": len(crafted), "rss_mb": rss_mb(pid)}

    async def steps(ws):
        await send(ws, first)
        for name, message in (("normal", stroke), ("crafted", crafted), ("after", stroke)):
            loop = asyncio.get_running_loop()
            rise, (seconds, page) = await loop.run_in_executor(
                None, lambda m=message: peak_rss_rise(lambda: asyncio.run_coroutine_threadsafe(send(ws, m), loop).result(), pid))
            figures[name] = {"rise_mb": round(rise, 1), "seconds": round(seconds, 2), "page": page}

    asyncio.run(session(url, recording.xsrf, steps))
    return figures


def test_a_crafted_websocket_message_with_a_9000_pixel_picture_is_refused_cheaply(tmp_path):
    with streamlit_server(tmp_path / "server.log", MNIST_WORKERS="0") as url:
        figures = attack(url, server_pid(url))
    summary = {k: {kk: vv for kk, vv in v.items() if kk != "page"} if isinstance(v, dict) else v for k, v in figures.items()}
    assert 400_000 < figures["crafted_bytes"] < 500_000  # the 452 kB message
    assert T("en", "draw.picture_too_large") in figures["crafted"]["page"]
    assert T("en", "draw.picture_too_large") not in figures["after"]["page"]  # the next stroke is read
    assert "data-digit=" in figures["after"]["page"]  # its answer
    assert figures["crafted"]["rise_mb"] < 100, summary
