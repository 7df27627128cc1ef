"""Shared by the hostile-input tests: pictures no canvas of ours sends, and a process's peak memory."""

from __future__ import annotations

import base64
import functools
import re
import struct
import zlib
from pathlib import Path

from helpers_core import png_chunk


@functools.cache
def full_png(side: int) -> bytes:
    """A complete black side x side RGBA PNG, every row present: 9000 gives the issue's 337 kB file that
    decodes to 324 MB of pixels. Compressed a row at a time, so making it costs no such memory."""
    deflate, row, parts = zlib.compressobj(9), bytes(1 + 4 * side), []
    for _ in range(side):
        parts.append(deflate.compress(row))
    parts.append(deflate.flush())
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", b"".join(parts)) + png_chunk(b"IEND", b"")


def with_text_bomb(png: bytes, chunks: int = 60) -> bytes:
    """`png` with `chunks` compressed text chunks before its pixels, each 1 kB inflating to 1 MB
    (Pillow's limit per chunk; 64 MB in all)."""
    body = b"Comment\x00\x00" + zlib.compress(bytes(1_000_000), 9)
    bombs = b"".join(png_chunk(b"zTXt", body) for _ in range(chunks))
    return png[:33] + bombs + png[33:]  # after the signature and IHDR


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _kb(pid: int | str, field: str) -> int:
    return int(re.search(rf"^{field}:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M).group(1))


def peak_rss_rise(call, pid: int | str = "self") -> tuple[float, object]:
    """MB by which process `pid`'s resident memory peaked above its level before call(), and call()'s
    result. Linux: writing 5 to clear_refs resets the peak (VmHWM); C allocations (Pillow's) count too."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    before = _kb(pid, "VmRSS")
    result = call()
    return (_kb(pid, "VmHWM") - before) / 1024, result


def rss_mb(pid: int | str = "self") -> float:
    return _kb(pid, "VmRSS") / 1024
