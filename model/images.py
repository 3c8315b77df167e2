"""Open user-supplied image files safely: one clear sentence for anything we will not decode.

Uploads on the Draw page and `python -m model predict FILE` both go through `load_image`.
A big picture is shrunk by a whole factor (box average) in its own compact mode before it is
expanded to the array we hand back, which stays under MAX_ARRAY_BYTES: a 6300x6300 1-bit PNG of
5 KB would otherwise become a 160 MB RGBA array, and a gigabyte once preprocessed.
"""

from __future__ import annotations

import io
import math
import os
import warnings

import numpy as np
from PIL import Image, UnidentifiedImageError

MAX_PIXELS = 40_000_000  # larger images are refused from their header, before any pixel is decoded
MAX_BYTES = 50 * 1024 * 1024  # larger files are refused before they are read
MAX_ARRAY_BYTES = 16 * 1024 * 1024  # the decoded array handed back; larger pictures are shrunk first


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
                raise ImageError(
                    f"{label}: {w}x{h} pixels is too large to be a drawn digit (limit {MAX_PIXELS // 1_000_000} million pixels)."
                )
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
    return as_uint8(shrink(image))


def shrink(image: Image.Image, max_bytes: int = MAX_ARRAY_BYTES) -> Image.Image:
    """Box-average a picture down by the smallest whole factor that keeps its uint8 array (as `as_uint8`
    gives it: up to 4 bytes a pixel) under `max_bytes`; small pictures come back untouched."""
    w, h = image.size
    factor = math.ceil(math.sqrt(w * h * 4 / max_bytes))
    if factor <= 1:
        return image
    if image.mode == "1":
        image = image.convert("L")  # 1 byte a pixel, and a grey average keeps thin strokes
    elif image.mode.startswith("I;16"):
        image = image.convert("I")  # as_uint8 still rescales it to 0..255
    elif image.mode not in ("L", "LA", "RGB", "RGBA", "I", "F"):
        image = image.convert(
            "RGBA" if image.mode in ("P", "PA", "La", "RGBa") or "transparency" in image.info else "RGB"
        )
    return image.reduce(factor)


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
