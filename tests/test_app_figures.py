"""mnist_app.components.figures: Korean text renders (and the check would see it if it did not), pyplot
is never used, and each figure shows what it says: the confusion matrix's counts, tiles in their places."""

from __future__ import annotations

import ast
import subprocess
import sys
import warnings

import numpy as np
import pytest
from matplotlib.figure import Figure

from conftest import REPO
from mnist_app.components import figures

KOREAN = "첫 층의 가중치: 혼동 행렬 −1"  # Hangul and the minus sign U+2212, which NanumGothic lacks
PNG = b"\x89PNG\r\n\x1a\n"


def rendered_warnings(fig: Figure) -> list[str]:
    """Every warning emitted while the figure is drawn to PNG."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = figures.to_png(fig)
    assert png.startswith(PNG)
    return [str(w.message) for w in caught]


def every_figure(title: str) -> dict[str, Figure]:
    rng = np.random.default_rng(0)
    digits = rng.random((6, 28, 28)).astype(np.float32)
    return {
        "digit": figures.digit_figure(digits[0], title),
        "gallery": figures.gallery_figure(digits, [f"{i} → {i + 1} (9{i}%)" for i in range(6)], 3, title),
        "confusion": figures.confusion_figure(np.eye(10, dtype=int) * 7, title=title, xlabel=title, ylabel=title),
    }


def test_korean_text_renders_without_missing_glyphs():
    for name, fig in every_figure(KOREAN).items():
        assert isinstance(fig, Figure)
        missing = [m for m in rendered_warnings(fig) if "missing from" in m]
        assert not missing, (name, missing)


def test_the_check_sees_missing_glyphs_with_a_font_without_hangul(monkeypatch):
    monkeypatch.setattr(figures, "FAMILIES", ("DejaVu Sans",))
    for name, fig in every_figure(KOREAN).items():
        assert any("missing from" in m for m in rendered_warnings(fig)), name


def test_the_korean_font_is_koreanize_matplotlibs_nanumgothic():
    assert figures.FAMILIES[0] == "NanumGothic"
    from matplotlib import font_manager

    path = font_manager.findfont(font_manager.FontProperties(family="NanumGothic"), fallback_to_default=False)
    assert path.endswith("koreanize_matplotlib/fonts/NanumGothic.ttf")


def imported_modules(path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):  # `from matplotlib import pyplot` names matplotlib.pyplot
            names |= {node.module or ""} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_no_module_imports_pyplot_or_koreanize():
    paths = [REPO / "app.py", *(REPO / "mnist_app").rglob("*.py"), *(REPO / "mnist_core").rglob("*.py")]
    for path in paths:
        names = imported_modules(path)
        assert not any(n.startswith(("matplotlib.pyplot", "pylab", "koreanize_matplotlib")) for n in names), path


# Run in a fresh interpreter: pytest itself may have imported pyplot for another test.
FRESH_PROCESS = """
import sys
import matplotlib
family = list(matplotlib.rcParams["font.family"])
from mnist_app.components import figures
import numpy as np
import pytest
x = np.zeros((28, 28), np.float32)
for fig in (figures.digit_figure(x, "가"), figures.gallery_figure(np.zeros((2, 784)), ["a", "b"])):
    figures.to_png(fig)
assert "matplotlib.pyplot" not in sys.modules, "pyplot imported by our figures"
assert "koreanize_matplotlib" not in sys.modules, "koreanize_matplotlib imported: it rewrites rcParams"
assert list(matplotlib.rcParams["font.family"]) == family, "global rcParams changed"
figures.to_png(figures.confusion_figure(np.eye(10, dtype=int)))
# scikit-learn's ConfusionMatrixDisplay.plot imports pyplot for plt.setp; no pyplot figure may exist.
from matplotlib._pylab_helpers import Gcf
assert Gcf.get_all_fig_managers() == [], "a pyplot-managed figure was created"
print("ok")
"""


@pytest.mark.slow
def test_figures_leave_pyplot_and_global_settings_alone():
    command = [sys.executable, "-c", FRESH_PROCESS]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]


def test_mosaic_places_tiles_with_gaps():
    tiles = np.arange(5 * 2 * 3, dtype=np.float32).reshape(5, 2, 3)
    out = figures.mosaic(tiles, 2, gap=1, top=1)
    assert out.shape == (3 * 4 - 1, 2 * 4 - 1)
    np.testing.assert_array_equal(out[1:3, 4:7], tiles[1])
    np.testing.assert_array_equal(out[9:11, 0:3], tiles[4])
    assert np.isnan(out[0]).all() and np.isnan(out[:, 3]).all() and np.isnan(out[9:, 4:]).all()


def test_confusion_figure_shows_the_counts_and_labels():
    matrix = np.arange(100).reshape(10, 10)
    fig = figures.confusion_figure(matrix, title="혼동 행렬", xlabel="예측", ylabel="정답")
    ax = fig.axes[0]
    counts = sorted(int(t.get_text()) for t in ax.texts)
    assert counts == list(range(100))
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("예측", "정답", "혼동 행렬")
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(d) for d in range(10)]


def test_a_digit_is_gray_from_0_to_1():
    digit = figures.digit_figure(np.ones(784)).axes[0].images[0]
    assert digit.get_cmap().name.startswith("gray") and (digit.norm.vmin, digit.norm.vmax) == (0.0, 1.0)
