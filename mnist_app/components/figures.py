"""Static figures drawn with matplotlib, as the tutorial draws: digits (imshow, gray), a gallery of
digits and the confusion matrix (scikit-learn's ConfusionMatrixDisplay). The inside view's maps,
drawn for every digit, are coloured pixels instead (maps.py).

Always `matplotlib.figure.Figure` objects, never pyplot: pyplot keeps a global "current figure" that
sessions on the server's threads would draw into at once. Korean text uses the NanumGothic font that
koreanize-matplotlib ships, registered here by file; its module is never imported, because importing
it rewrites the process-wide rcParams. Each text names the font itself (no rc_context, which would
also change global state), with DejaVu Sans after it for the glyphs NanumGothic lacks, such as the
minus sign U+2212.
"""

from __future__ import annotations

import importlib.util
import io
import logging
from pathlib import Path

import numpy as np
from matplotlib import colormaps, font_manager
from matplotlib.figure import Figure
from sklearn.metrics import ConfusionMatrixDisplay

logger = logging.getLogger(__name__)
GRAY = colormaps["gray"].with_extremes(bad="white")
GAP = 2  # pixels of background between the tiles of a mosaic
CAPTION_GAP = 13  # rows of background above each gallery tile, for its caption (a digit of 16 pt)


def _register_korean_font() -> tuple[str, ...]:
    """Add koreanize-matplotlib's NanumGothic to matplotlib's font list; the families to write with."""
    spec = importlib.util.find_spec("koreanize_matplotlib")  # finds the package without running it
    path = Path(spec.submodule_search_locations[0]) / "fonts" / "NanumGothic.ttf" if spec else None
    if path is None or not path.is_file():
        logger.warning("koreanize-matplotlib's NanumGothic.ttf not found: Korean text in figures will not render")
        return ("DejaVu Sans",)
    font_manager.fontManager.addfont(str(path))
    return (font_manager.FontProperties(fname=str(path)).get_name(), "DejaVu Sans")


FAMILIES = _register_korean_font()  # once, at import: imports are serialised, so no two threads add it


def _text(**kwargs) -> dict:
    return {"fontfamily": list(FAMILIES), **kwargs}


def to_png(fig: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes, for `st.image`.

    Not bbox_inches="tight": it draws the figure twice, and constrained layout already fits it.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def digit_figure(x28: np.ndarray, title: str | None = None, *, size: float = 3.0) -> Figure:
    """One digit (28, 28) or (784,) in [0, 1], as the tutorial's `plt.imshow(..., cmap='gray')`, axes and all."""
    fig = Figure(figsize=(size, size), layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(np.asarray(x28, dtype=np.float32).reshape(28, 28), cmap="gray", vmin=0.0, vmax=1.0)
    if title:
        ax.set_title(title, **_text())
    return fig


def mosaic(tiles: np.ndarray, cols: int, *, gap: int = GAP, top: int = 0) -> np.ndarray:
    """Tiles (N, h, w) -> one picture of `cols` columns, NaN around the tiles: `gap` pixels between
    them and `top` more above each row (room for captions).

    One imshow of the whole mosaic instead of N axes: 100 axes take about a second to draw, one
    image a few tens of milliseconds.
    """
    n, h, w = tiles.shape
    cols = max(1, min(cols, n))
    rows = max(1, -(-n // cols))
    step_y, step_x = top + h + gap, w + gap
    out = np.full((rows * step_y - gap, cols * step_x - gap), np.nan, dtype=np.float32)
    for i in range(n):
        r, c = divmod(i, cols)
        out[r * step_y + top : r * step_y + top + h, c * step_x : c * step_x + w] = tiles[i]
    return out


def _grid(n: int, cols: int) -> tuple[int, int]:
    cols = max(1, min(cols, n))
    return cols, max(1, -(-n // cols))


def gallery_figure(images: np.ndarray, captions: list[str], cols: int = 8, title: str | None = None, *,
                   caption_pt: float = 16) -> Figure:  # fmt: skip
    """Digits (N, 28, 28) or (N, 784) in [0, 1] in a grid, a caption above each (e.g. '7 -> 2 (98%)').

    A tile is an inch wide: at the lesson's 560 px for eight, a caption of 16 pt is about the page's text
    (8 pt was 8 px, unreadable from the back of a room)."""
    tiles = np.asarray(images, dtype=np.float32).reshape(-1, 28, 28)
    cols, rows = _grid(len(tiles), cols)
    fig = Figure(figsize=(1.0 * cols, 1.45 * rows + (0.4 if title else 0.1)), layout="constrained")
    ax = fig.add_subplot()
    picture = mosaic(tiles, cols, top=CAPTION_GAP) if len(tiles) else np.full((28, 28), np.nan)
    ax.imshow(picture, cmap=GRAY, vmin=0.0, vmax=1.0, interpolation="nearest")
    for i, caption in enumerate(captions[: len(tiles)]):  # centred above its tile
        r, c = divmod(i, cols)
        ax.text(c * (28 + GAP) + 13.5, r * (CAPTION_GAP + 28 + GAP) + CAPTION_GAP - 1, caption,
                va="bottom", ha="center", in_layout=False, **_text(fontsize=caption_pt))  # fmt: skip
    ax.set_axis_off()
    if title:
        ax.set_title(title, **_text())
    return fig


def confusion_figure(
    matrix: np.ndarray,
    labels=tuple(range(10)),
    title: str | None = None,
    *,
    xlabel: str | None = None,
    ylabel: str | None = None,
) -> Figure:
    """The (10, 10) confusion matrix, rows true and columns predicted, via scikit-learn's display.

    Margins set by hand: constrained layout measured 70 of 210 ms (CPU) here, for 100 cell labels.
    """
    fig = Figure(figsize=(5.6, 5.4))
    display = ConfusionMatrixDisplay(np.asarray(matrix), display_labels=list(labels))
    display.plot(ax=fig.add_axes((0.12, 0.1, 0.85, 0.82)), cmap="Blues", values_format="d", colorbar=False)
    if xlabel:
        display.ax_.set_xlabel(xlabel, **_text())
    if ylabel:
        display.ax_.set_ylabel(ylabel, **_text())
    if title:
        display.ax_.set_title(title, **_text())
    return fig
