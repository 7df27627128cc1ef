"""Digits as pictures for the page: sharp square pixels, never smoothed into a blur."""

from __future__ import annotations

import numpy as np


def pixels(ink: np.ndarray, size: int) -> np.ndarray:
    """An ink map (H, W) in [0, 1] as a square uint8 picture about `size` pixels wide."""
    h, w = ink.shape
    side = max(h, w)
    square = np.zeros((side, side), np.float32)  # padded, not stretched: a "1" stays thin
    square[(side - h) // 2 : (side - h) // 2 + h, (side - w) // 2 : (side - w) // 2 + w] = np.clip(ink, 0, 1)
    return enlarge((square * 255).astype(np.uint8), max(1, size // side))


def enlarge(picture: np.ndarray, scale: int) -> np.ndarray:
    """Each pixel of a picture (H, W) or (H, W, 3) as a `scale` x `scale` square (not np.kron: 5x slower here)."""
    return picture.repeat(scale, axis=0).repeat(scale, axis=1)
