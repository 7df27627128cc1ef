"""One module per section of the page; each has a `render()`.

Imported when first opened (`module`), not with app.py: their libraries (torch, pandas, scikit-learn,
matplotlib) would keep a fresh server's first visitor from the canvas for seconds.
"""

from __future__ import annotations

import importlib
from types import ModuleType

MODULES = {
    "draw": "draw", "lesson": "lesson", "test": "test_images", "evaluate": "evaluate", "inside": "inside",
    "train": "train", "data": "data", "model": "model", "room": "room",
}  # fmt: skip


def module(section: str) -> ModuleType:
    """The module of a section id (`state.SECTIONS`), imported the first time it is asked for."""
    return importlib.import_module(f"{__name__}.{MODULES[section]}")
