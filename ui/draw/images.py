"""Small arrays -> pictures for the Draw page, shown as one row of inline images per section.

Why not st.image or plotly heatmaps: every stroke redraws six pictures, and six media-file
round trips (or six plotly heatmaps) cost the browser more than the stroke's whole reading.
A row is one st.html element holding PNG data URIs of the raw arrays (a 28x28 PNG is a few
hundred bytes), enlarged by the browser with `image-rendering: pixelated` so pixels stay crisp.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from model.preprocess import Steps

PAD_COLOUR = (229, 231, 235)  # grid cells with no neuron behind them
POSITIVE = np.array([220, 38, 38], dtype=np.float32)  # red: pushes the class up / neuron fires
NEGATIVE = np.array([37, 99, 235], dtype=np.float32)  # blue: pushes it down / negative output
WHITE = np.array([255, 255, 255], dtype=np.float32)
MARK = (14, 165, 233)  # field centre, crop box
FIELD_CELL = 8  # the 28x28 input is drawn at 8 px a pixel so the centre cross can be thin
FIND_SIDE = 168  # px, step 1's shrunk picture of the whole canvas


@dataclass(frozen=True)
class Tile:
    picture: Image.Image  # drawn at any scale; the browser resizes it to `width`
    width: int  # on-screen width, CSS px
    caption: str  # HTML-escaped here; **bold** marks the step's name


def ink_picture(x: np.ndarray) -> Image.Image:
    """(h, w) ink in [0, 1] -> white ink on black, as MNIST stores digits, one pixel per value."""
    return Image.fromarray(np.clip(np.asarray(x, dtype=np.float32) * 255, 0, 255).astype(np.uint8))


def signed_picture(values: np.ndarray) -> Image.Image:
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
    return Image.fromarray(rgb)


def find_ink_picture(steps: Steps, side: int = FIND_SIDE) -> Image.Image:
    """Step 1: the whole picture's ink, shrunk to `side` px, with the crop box drawn around it."""
    ink = steps.ink_u8
    h, w = ink.shape
    peak = max(1, int(ink.max()))
    if peak < 255:  # faint uploads: show the strongest stroke as white, as preprocessing treats it
        ink = (ink.astype(np.uint16) * 255 // peak).astype(np.uint8)
    scale = side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    image = Image.fromarray(ink).resize(size, Image.Resampling.BILINEAR).convert("RGB")
    top, left, bottom, right = steps.bbox
    ImageDraw.Draw(image).rectangle(
        [left * scale, top * scale, right * scale - 1, bottom * scale - 1], outline=MARK, width=2
    )
    return image


def field_picture(steps: Steps, cell: int = FIELD_CELL) -> Image.Image:
    """Step 3: the 28x28 input with the field's centre marked; the ink's centre of mass sits on it."""
    side = steps.image.shape[0] * cell
    image = ink_picture(steps.image).resize((side, side), Image.Resampling.NEAREST).convert("RGB")
    draw = ImageDraw.Draw(image)
    centre = round(14.5 * cell)  # the middle of pixel index 14, where preprocessing puts the centre of mass
    draw.line([(centre - cell, centre), (centre + cell, centre)], fill=MARK, width=2)
    draw.line([(centre, centre - cell), (centre, centre + cell)], fill=MARK, width=2)
    return image


def png_data_uri(image: Image.Image) -> str:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def tiles_html(tiles: list[Tile]) -> str:
    """One flex row of captioned pictures, bottoms aligned, for st.html."""
    cells = []
    for tile in tiles:
        height = round(tile.width * tile.picture.height / tile.picture.width)
        caption = html.escape(tile.caption)
        if caption.startswith("**") and "**" in caption[2:]:
            name, rest = caption[2:].split("**", 1)
            caption = f"<b>{name}</b>{rest}"
        cells.append(
            f'<figure style="margin:0;width:{max(tile.width, 150)}px">'
            f'<img src="{png_data_uri(tile.picture)}" width="{tile.width}" height="{height}" alt=""'
            f' style="image-rendering:pixelated;border:1px solid #D1D5DB;border-radius:4px;display:block">'
            f'<figcaption style="font-size:0.8rem;color:#6B7280;margin-top:0.4rem;line-height:1.35">{caption}'
            f"</figcaption></figure>"
        )
    return f'<div style="display:flex;flex-wrap:wrap;gap:1.5rem;align-items:flex-end">{"".join(cells)}</div>'
