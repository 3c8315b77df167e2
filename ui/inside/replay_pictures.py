"""The replay's pictures as RGB arrays (NumPy + Pillow, no Streamlit): one image per view, not one element per digit.

weight_grid(weights)                   # (K, 784) -> the units' incoming weights, red +, blue -, a tile each
digit_panel(images, labels, guesses)   # the panel: each digit framed green (right) or red (wrong), its guess below
thumbnails(images)                     # a plain grid of small digits ("learned this epoch")
png(picture)                           # -> PNG bytes for st.image
"""

from __future__ import annotations

import functools
import io
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from model.spec import IMAGE_SIDE

POSITIVE = np.array([220, 38, 38], np.float32)  # a weight that excites the unit
NEGATIVE = np.array([37, 99, 235], np.float32)  # one that inhibits it
RIGHT, WRONG = (22, 163, 74), (220, 38, 38)
GAP_COLOUR = 150  # grey between tiles: the weight tiles are mostly near-white


def weight_grid(weights: np.ndarray, scale: int = 3, gap: int = 3) -> np.ndarray:
    """(K, 784) weights -> (H, W, 3) uint8: one 28x28 tile per unit, each scaled to its own largest |weight|."""
    w = np.asarray(weights, dtype=np.float32).reshape(len(weights), IMAGE_SIDE, IMAGE_SIDE)
    t = w / np.maximum(np.abs(w).max(axis=(1, 2), keepdims=True), 1e-8)  # -1..1 per unit
    white = np.float32(255)
    rgb = white + np.clip(t, 0, 1)[..., None] * (POSITIVE - white) + np.clip(-t, 0, 1)[..., None] * (NEGATIVE - white)
    return _tile(rgb.astype(np.uint8), scale, gap)


def thumbnails(images: np.ndarray, columns: int = 12, scale: int = 2, gap: int = 2) -> np.ndarray:
    """(n, 28, 28) uint8 MNIST digits -> (H, W, 3) uint8, dark ink on white."""
    ink = 255 - np.asarray(images, dtype=np.uint8)
    return _tile(np.repeat(ink[..., None], 3, axis=3), scale, gap, columns)


def digit_panel(
    images: np.ndarray, labels: np.ndarray, guesses: np.ndarray, columns: int = 8, scale: int = 3
) -> np.ndarray:
    """(P, 28, 28) digits with their true labels and the network's guesses -> one (H, W, 3) uint8 picture."""
    side, frame, strip, gap = IMAGE_SIDE * scale, 3, 26, 6
    cell_w, cell_h = side + 2 * frame, side + 2 * frame + strip
    rows = math.ceil(len(images) / columns)
    canvas = np.full((rows * (cell_h + gap) - gap, columns * (cell_w + gap) - gap, 3), 255, np.uint8)
    ink = (255 - np.asarray(images, np.uint8)).repeat(scale, axis=1).repeat(scale, axis=2)  # dark ink on white
    for i, (digit, label, guess) in enumerate(zip(ink, labels.tolist(), guesses.tolist())):
        x, y = (i % columns) * (cell_w + gap), (i // columns) * (cell_h + gap)
        canvas[y : y + side + 2 * frame, x : x + cell_w] = RIGHT if guess == label else WRONG
        canvas[y + frame : y + frame + side, x + frame : x + frame + side] = digit[..., None]
        canvas[y + side + 2 * frame : y + cell_h, x : x + cell_w] = _caption(guess, label, cell_w, strip)
    return canvas


@functools.lru_cache(maxsize=128)
def _caption(guess: int, label: int, width: int, height: int) -> np.ndarray:
    """The strip under a digit: 'says 7' in green, or 'says 3, is 5' in red (drawn once per pair, then reused)."""
    strip = Image.new("RGB", (width, height), "white")
    text = f"says {guess}" if guess == label else f"says {guess}, is {label}"
    ImageDraw.Draw(strip).text(
        (width / 2, height / 2), text, fill=RIGHT if guess == label else WRONG, font=_font(), anchor="mm"
    )
    return np.asarray(strip)


def png(picture: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG", compress_level=1)  # fast over small: these change every step
    return buffer.getvalue()


@functools.lru_cache(maxsize=1)
def _font():
    return ImageFont.load_default(size=17)


def _tile(tiles: np.ndarray, scale: int, gap: int, columns: int | None = None) -> np.ndarray:
    """(n, h, w, 3) uint8 tiles -> one grid, each tile enlarged `scale` times (nearest: crisp pixels)."""
    n, h, w, _ = tiles.shape
    columns = columns or math.ceil(math.sqrt(n))
    columns = max(1, min(columns, n))
    rows = math.ceil(n / columns)
    tiles = tiles.repeat(scale, axis=1).repeat(scale, axis=2)
    h, w = h * scale, w * scale
    grid = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap, 3), GAP_COLOUR, np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, columns)
        grid[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = tile
    return grid
