"""Small arrays -> crisp enlarged pictures for the Draw page (PIL images, for st.image).

Pictures rather than plotly heatmaps: a PNG of a 28x28 array costs well under a millisecond,
which keeps the per-stroke fragment lean.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw

from model.preprocess import Steps

CELL = 8  # screen pixels per input pixel for 28x28 pictures: 224 px
PAD_COLOUR = (229, 231, 235)  # grid cells with no neuron behind them
POSITIVE = np.array([220, 38, 38], dtype=np.float32)  # red: pushes the class up / neuron fires
NEGATIVE = np.array([37, 99, 235], dtype=np.float32)  # blue: pushes it down / negative output
WHITE = np.array([255, 255, 255], dtype=np.float32)
MARK = (14, 165, 233)  # field centre, crop box
FRAME = (209, 213, 219)  # outline of white-background pictures


def _enlarge(rgb: np.ndarray, cell: int) -> Image.Image:
    """(h, w, 3) uint8 -> PIL image with every pixel a `cell` x `cell` square (no smoothing)."""
    h, w = rgb.shape[:2]
    return Image.fromarray(rgb).resize((w * cell, h * cell), Image.Resampling.NEAREST)


def ink_picture(x: np.ndarray, cell: int = CELL) -> Image.Image:
    """(h, w) ink in [0, 1] -> white ink on black, as MNIST stores digits."""
    grey = np.clip(np.asarray(x, dtype=np.float32) * 255, 0, 255).astype(np.uint8)
    return _enlarge(np.stack([grey] * 3, axis=-1), cell)


def signed_picture(values: np.ndarray, cell: int = CELL) -> Image.Image:
    """(h, w) signed values -> white at 0, red for positive, blue for negative, scaled by the largest |value|.
    NaN cells (grid padding) are light grey."""
    v = np.asarray(values, dtype=np.float32)
    missing = np.isnan(v)
    v = np.where(missing, 0.0, v)
    peak = float(np.abs(v).max()) or 1.0
    t = (v / peak)[..., None]  # (h, w, 1) in [-1, 1]
    rgb = np.where(t >= 0, WHITE + t * (POSITIVE - WHITE), WHITE - t * (NEGATIVE - WHITE))
    rgb = rgb.round().astype(np.uint8)
    rgb[missing] = PAD_COLOUR
    return framed(_enlarge(rgb, cell))


def framed(image: Image.Image) -> Image.Image:
    """A 1-px grey outline, so a mostly white picture does not melt into the page."""
    ImageDraw.Draw(image).rectangle([0, 0, image.width - 1, image.height - 1], outline=FRAME)
    return image


def find_ink_picture(steps: Steps, side: int = 168) -> Image.Image:
    """Step 1: the whole picture's ink, shrunk to `side` px, with the crop box drawn around it."""
    h, w = steps.ink_u8.shape
    scale = side / max(h, w)
    ink = steps.ink_u8
    peak = max(1, int(ink.max()))
    if peak < 255:  # faint uploads: show the strongest stroke as white, as preprocessing treats it
        ink = (ink.astype(np.uint16) * 255 // peak).astype(np.uint8)
    image = Image.fromarray(ink).resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.BILINEAR)
    image = image.convert("RGB")
    top, left, bottom, right = steps.bbox
    box = [left * scale, top * scale, right * scale - 1, bottom * scale - 1]
    ImageDraw.Draw(image).rectangle(box, outline=MARK, width=2)
    return image


def field_picture(steps: Steps, cell: int = CELL) -> Image.Image:
    """Step 3: the 28x28 input with the field's centre marked; the ink's centre of mass sits on it."""
    image = ink_picture(steps.image, cell)
    draw = ImageDraw.Draw(image)
    centre = round(14.5 * cell)  # the middle of pixel index 14, where preprocessing puts the centre of mass
    draw.line([(centre - cell, centre), (centre + cell, centre)], fill=MARK, width=2)
    draw.line([(centre, centre - cell), (centre, centre + cell)], fill=MARK, width=2)
    return image


def png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()
