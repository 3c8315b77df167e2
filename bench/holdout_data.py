"""The held-out handwriting in ../shared/holdout/, read and drawn onto canvases like the browser's.

Evaluation only: `pendigits()` gives the 14 test writers (rows 7,495 on; rows 1-7,494 are the 30
training writers, vendored in training/data/) and `semeion()` all of semeion. Each sample is drawn on a
blank 280x280 RGBA canvas (transparent background, black ink, as the Draw page's canvas
hands it over) at a random size and position, then goes through the same to_mnist path
as a drawing.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parent.parent
HOLDOUT = Path(os.environ.get("DIGITLAB_HOLDOUT", REPO.parent / "shared" / "holdout"))
CANVAS = 280  # the Draw page's canvas side, pixels
SUPERSAMPLE = 4  # draw 4x larger then shrink: anti-aliased edges like a browser canvas
TEST_ROWS = 7494  # pendigits.csv rows before the first of UCI's pendigits.tes (the 14 held-out test writers)
STROKE_WIDTH = (14, 24)  # pen width range in canvas pixels (the Draw page's default is inside it)
DIGIT_HEIGHT = (110, 250)  # drawn digit height range in canvas pixels


def pendigits() -> tuple[np.ndarray, np.ndarray]:
    """The 14 test writers' pen trajectories (3498, 8, 2) as (x, y) on a 0..100 grid with y pointing up, and labels (3498,)."""
    with open(_holdout_file("pendigits.csv"), newline="") as f:
        rows = list(csv.reader(f))[1 + TEST_ROWS :]
    values = np.array([[float(v) for v in row[1:]] for row in rows])
    return values[:, :16].reshape(-1, 8, 2), values[:, 16].astype(int)


def semeion() -> tuple[np.ndarray, np.ndarray]:
    """Binary scans (n, 16, 16) in {0, 1} and labels (n,). Records are 267 whitespace-separated tokens."""
    tokens = _holdout_file("semeion.data").read_text().split()
    records = np.array(tokens[: len(tokens) // 267 * 267]).reshape(-1, 267)
    return records[:, :256].astype(float).reshape(-1, 16, 16), records[:, 256:266].astype(float).argmax(axis=1)


def _holdout_file(name: str) -> Path:
    path = HOLDOUT / name
    if not path.is_file():
        raise SystemExit(
            f"error: {path} not found; set DIGITLAB_HOLDOUT to the folder holding pendigits.csv and semeion.data."
        )
    return path


def place_trajectory(points: np.ndarray, rng: np.random.Generator, width: float) -> np.ndarray:
    """Pen points (m, 2) (x, y), y up (pendigits: 8 points on a 0..100 grid) -> (m, 2) canvas pixels (x, y), y down,
    at a random size and position that keeps a pen of `width` px inside the canvas."""
    xy = points.astype(float).copy()
    xy[:, 1] = 100 - xy[:, 1]  # y up -> y down
    span = max(np.ptp(xy[:, 0]), np.ptp(xy[:, 1]), 1.0)
    height = rng.uniform(*DIGIT_HEIGHT)
    scale = (height - width) / span
    xy = (xy - xy.min(axis=0)) * scale
    extent = xy.max(axis=0) + width
    return xy + rng.uniform(0, np.maximum(CANVAS - extent, 0)) + width / 2


def draw_trajectory(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One pen trajectory -> (280, 280, 4) uint8 canvas, random size, position and pen width."""
    return draw_strokes([points], rng)


def draw_strokes(strokes: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Pen strokes, each (m, 2) (x, y) with y up, placed together -> (280, 280, 4) uint8 canvas: random size,
    position and pen width, each stroke a line of its own with round caps, as the canvas pen draws them."""
    width = rng.uniform(*STROKE_WIDTH)
    xy = place_trajectory(np.concatenate(strokes), rng, width) * SUPERSAMPLE
    big = Image.new("L", (CANVAS * SUPERSAMPLE,) * 2, 0)
    draw, r = ImageDraw.Draw(big), width * SUPERSAMPLE / 2
    for stroke in np.split(xy, np.cumsum([len(s) for s in strokes])[:-1]):
        pts = [tuple(p) for p in stroke]
        draw.line(pts, fill=255, width=int(width * SUPERSAMPLE), joint="curve")
        for x, y in (pts[0], pts[-1]):
            draw.ellipse([x - r, y - r, x + r, y + r], fill=255)
    return _as_canvas(big)


def draw_bitmap(bitmap: np.ndarray, rng: np.random.Generator, resample=Image.Resampling.BILINEAR) -> np.ndarray:
    """One square scan (16x16 binary, or 8x8 ink in [0, 1]) -> (280, 280, 4) uint8 canvas, enlarged smoothly to a random
    size and position (bicubic suits 8x8 grey ink counts, which bilinear enlarges into blocks)."""
    side = int(rng.uniform(*DIGIT_HEIGHT))
    scan = Image.fromarray((bitmap * 255).astype(np.uint8)).resize((side * SUPERSAMPLE,) * 2, resample)
    big = Image.new("L", (CANVAS * SUPERSAMPLE,) * 2, 0)
    left, top = (int(v) * SUPERSAMPLE for v in rng.uniform(0, CANVAS - side, 2))
    big.paste(scan, (left, top))
    return _as_canvas(big)


def _as_canvas(big: Image.Image) -> np.ndarray:
    """Supersampled ink mask -> the RGBA array the canvas returns: black ink, ink coverage in alpha."""
    alpha = np.asarray(big.resize((CANVAS, CANVAS), Image.Resampling.BOX))
    canvas = np.zeros((CANVAS, CANVAS, 4), dtype=np.uint8)
    canvas[:, :, 3] = alpha
    return canvas
