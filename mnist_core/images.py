"""Reading image files for prediction: any size, mode or bit depth, and nothing dangerous.

Pillow's `Image.open` reads only the header, so the pixel count is checked before anything is
decoded: a decompression bomb (a tiny file that claims tens of thousands of pixels a side) is
refused without allocating its pixels.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
from PIL import Image, UnidentifiedImageError

MAX_PIXELS = 4096 * 4096  # a phone photo fits; a decompression bomb does not
# Plain raster formats only: Pillow's EPS plugin, for one, would hand the file to Ghostscript.
FORMATS = ("PNG", "JPEG", "BMP", "GIF", "TIFF", "WEBP", "PPM")


def _as_array(im: Image.Image) -> np.ndarray:
    """Pixels as (H, W) grey, (H, W, 3) RGB or (H, W, 4) RGBA; 16-bit stays 16-bit."""
    if im.mode in ("L", "RGB", "RGBA", "I;16", "I", "F"):
        return np.asarray(im)
    if im.mode in ("P", "PA", "LA") or "transparency" in im.info:
        return np.asarray(im.convert("RGBA"))
    if im.mode == "1":
        return np.asarray(im.convert("L"))
    return np.asarray(im.convert("RGB"))  # CMYK, YCbCr, LAB, HSV, ...


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Decode an image file; raise ValueError with one line naming the file and the problem."""
    try:
        with warnings.catch_warnings():
            # Pillow warns (on stderr) above ~89M pixels; the size is checked below, so that is noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path, formats=FORMATS) as im:
                w, h = im.size
                if w * h > MAX_PIXELS:
                    raise ValueError(f"{path}: {w}x{h} pixels is too large (at most {MAX_PIXELS:,} pixels)")
                im.load()
                return _as_array(im)
    except Image.DecompressionBombError as e:
        raise ValueError(f"{path}: too large to decode safely ({e})") from None
    except UnidentifiedImageError:
        raise ValueError(f"{path}: not an image file Pillow can read") from None
    except (OSError, SyntaxError, EOFError) as e:
        raise ValueError(f"{path}: cannot decode image ({str(e) or type(e).__name__})") from None
