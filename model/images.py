"""Open user-supplied image files safely: one clear sentence for anything we will not decode.

Uploads on the Draw page and `python -m model predict FILE` both go through `load_image`.
"""

from __future__ import annotations

import io
import os
import warnings

import numpy as np
from PIL import Image, UnidentifiedImageError

MAX_PIXELS = 40_000_000  # larger images are refused from their header, before any pixel is decoded
MAX_BYTES = 50 * 1024 * 1024  # larger files are refused before they are read


class ImageError(ValueError):
    """An input we refuse; str(error) is one sentence for the user."""


def load_image(source: str | os.PathLike | bytes, name: str | None = None) -> np.ndarray:
    """A file path or the bytes of an upload -> uint8 array (H, W), (H, W, 3) or (H, W, 4)."""
    label = name or (os.fspath(source) if not isinstance(source, bytes) else "the upload")
    if not isinstance(source, bytes):
        path = os.fspath(source)
        if not os.path.exists(path):
            raise ImageError(f"{label}: no such file.")
        if os.path.isdir(path):
            raise ImageError(f"{label}: is a folder, not an image file.")
        if os.path.getsize(path) > MAX_BYTES:
            raise ImageError(f"{label}: the file is larger than {MAX_BYTES // 2**20} MB; use a smaller image.")
        with open(path, "rb") as f:
            source = f.read()
    elif len(source) > MAX_BYTES:
        raise ImageError(f"{label}: the file is larger than {MAX_BYTES // 2**20} MB; use a smaller image.")
    if not source:
        raise ImageError(f"{label}: the file is empty.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(source))  # reads the header only
            w, h = image.size
            if w * h > MAX_PIXELS:
                raise ImageError(f"{label}: {w}x{h} pixels is too large to be a drawn digit (limit {MAX_PIXELS // 1_000_000} million pixels).")
            image.seek(0)  # animated images: the first frame is the picture
            image.load()
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"{label}: the image is too large to be a drawn digit.") from None
    except UnidentifiedImageError:
        raise ImageError(f"{label}: not an image file Pillow can read (PNG, JPEG, GIF, BMP, WebP...).") from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ImageError(f"{label}: the image data is damaged or truncated ({_first_line(error)}).") from None
    return as_uint8(image)


def as_uint8(image: Image.Image) -> np.ndarray:
    """Any PIL mode -> uint8 array in L, RGB or RGBA; 16-bit and float images are rescaled to 0..255."""
    mode = image.mode
    if mode in ("L", "RGB", "RGBA"):
        return np.asarray(image)
    if mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        arr = np.asarray(image, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        scaled = (arr - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(arr)
        return scaled.round().astype(np.uint8)
    if mode in ("1", "P", "PA", "LA", "RGBa", "La") or "transparency" in image.info:
        return np.asarray(image.convert("RGBA"))
    return np.asarray(image.convert("RGB"))  # CMYK, YCbCr, LAB, HSV


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0].rstrip(".") if text else type(error).__name__
