"""The faster grey-level path of to_mnist (issue #16 item 5) gives exactly what it gave before, bit for bit.

`reference_steps` is preprocess_steps as it was (commit 9ca5377), kept here as the reference: RGBA's
RGB as a strided view cast to float32, np.median for the paper level, the column scan over every row.
Its grey level, that commit's float32 `rgb @ LUMA` as it rounded on an AVX-512 CPU, is written out in integers:
BLAS is no reference, its rounding changes with the CPU's kernel (issue #25: AVX2-only CPUs failed).
"""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from model.preprocess import (
    BOX_SIDE,
    IMAGE_SIDE,
    INK_CUTOFF,
    MIN_CONTRAST,
    _grey_table,
    _paste,
    ink_map,
    preprocess_steps,
)

# 0.299f, 0.587f and 0.114f are whole multiples of 2^-27: every value below is an int64 count of 2^-27
UNIT_BITS = 27
LUMA32 = np.array([0.299, 0.587, 0.114], dtype=np.float32)
WEIGHTS = (LUMA32.astype(np.float64) * (1 << UNIT_BITS)).astype(np.int64)
assert np.array_equal(WEIGHTS / (1 << UNIT_BITS), LUMA32)
POWERS_OF_TWO = np.int64(1) << np.arange(63, dtype=np.int64)


def round_half_even(units: np.ndarray, shift) -> np.ndarray:
    """Non-negative int64 `units` rounded to a multiple of 2^shift, ties to the even multiple."""
    quotient, step = units >> shift, np.int64(1) << shift
    twice_rest = (units - (quotient << shift)) << 1
    return (quotient + ((twice_rest > step) | ((twice_rest == step) & (quotient & 1 == 1)))) << shift


def to_float32(units: np.ndarray) -> np.ndarray:
    """Non-negative int64 `units` rounded as float32 rounds: to 24 significant bits, ties to even."""
    bits = np.searchsorted(POWERS_OF_TWO, units, side="right")  # each value's bit length
    return round_half_even(units, np.maximum(bits - 24, 0))


def reference_grey(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) uint8 -> (...) int16: the red term, then fused multiply-adds of green and blue, each rounded
    to float32, and the sum rounded half to even, as 9ca5377's `(rgb @ LUMA).round()` gave it."""
    red, green, blue = (rgb[..., channel].astype(np.int64) * WEIGHTS[channel] for channel in range(3))
    level = to_float32(to_float32(to_float32(red) + green) + blue)
    return (round_half_even(level, UNIT_BITS) >> UNIT_BITS).astype(np.int16)


def reference_ink_map(arr: np.ndarray) -> np.ndarray:
    if arr.ndim == 3 and arr.shape[2] == 4:
        alpha = np.ascontiguousarray(arr[:, :, 3])
        if alpha.min() < 255:
            return alpha
        arr = arr[:, :, :3]
    if arr.ndim == 3:
        grey = reference_grey(arr)
    else:
        grey = arr.astype(np.int16)
    h, w = grey.shape
    k = max(1, min(h, w) // 20)
    paper = int(
        np.median(np.concatenate([grey[:k].ravel(), grey[-k:].ravel(), grey[:, :k].ravel(), grey[:, -k:].ravel()]))
    )
    ink = paper - grey if paper > 127 else grey - paper
    return np.clip(ink, 0, 255).astype(np.uint8)


def reference_steps(arr: np.ndarray):
    ink = reference_ink_map(arr)
    peak = int(ink.max())
    if peak < MIN_CONTRAST * 255:
        return None
    cutoff = max(1, int(INK_CUTOFF * peak))
    rows = np.flatnonzero(ink.max(axis=1) >= cutoff)
    cols = np.flatnonzero(ink.max(axis=0) >= cutoff)
    top, bottom, left, right = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    crop = ink[top:bottom, left:right]
    h, w = crop.shape
    scale = BOX_SIDE / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    box = np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.BILINEAR), dtype=np.float32)
    box *= 1 / max(float(box.max()), 1.0)
    total = float(box.sum())
    cy = float(np.arange(box.shape[0]) @ box.sum(axis=1)) / total
    cx = float(np.arange(box.shape[1]) @ box.sum(axis=0)) / total
    offset = (int(round(IMAGE_SIDE / 2 - cy)), int(round(IMAGE_SIDE / 2 - cx)))
    field = np.zeros((IMAGE_SIDE, IMAGE_SIDE), dtype=np.float32)
    _paste(field, box, *offset)
    return ink, (top, left, bottom, right), box, offset, field


def pen_digit(size=280, background=(0, 0, 0, 0), ink=(17, 24, 39, 255), width=18) -> Image.Image:
    """A 4 written in three anti-aliased strokes, as the canvas sends it (or on a background colour)."""
    image = Image.new("RGBA", (size * 2, size * 2), background)
    draw = ImageDraw.Draw(image)
    s = size * 2 / 280
    for line in ([(170, 60), (80, 330), (420, 330)], [(330, 120), (300, 500)], [(60, 60), (62, 64)]):
        draw.line([(x * s, y * s) for x, y in line], fill=ink, width=int(width * 2 * s), joint="curve")
    return image.resize((size, size), Image.Resampling.LANCZOS)  # anti-aliased edges: many in-between colours


def inputs() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    canvas = np.asarray(pen_digit())
    on_white = np.asarray(Image.alpha_composite(Image.new("RGBA", (280, 280), (255, 255, 255, 255)), pen_digit()))
    coloured = np.asarray(pen_digit(background=(200, 230, 255, 255), ink=(200, 20, 20, 255)))
    noise = rng.integers(0, 256, (280, 280, 3), dtype=np.uint8)
    noise[100:180, 60:200] //= 4  # a dark blob on colour noise: every colour, and so every rounding tie, turns up
    edge = on_white.copy()
    edge[100:140, :6, :3] = 40  # ink touching the frame: the paper level needs the frame's median
    framed = on_white.copy()
    framed[[0, -1], :, :3] = framed[:, [0, -1], :3] = 0  # a thin black frame: ink outside the colour region
    grey_paper = on_white.copy()
    grey_paper[:, :, :3] = np.minimum(grey_paper[:, :, :3], 200)
    grey_paper[0, 0, :3] = 255  # a white top-left pixel on grey paper: the frame's median is not its level
    half = np.full((20, 20, 3), 255, np.uint8)
    half[:10] = 0  # half the frame dark, half light: its median is neither colour
    return {
        "transparent canvas": canvas,
        "RGB half dark, half light": half,
        "opaque RGBA in a thin black frame": framed,
        "RGB in a thin black frame": np.ascontiguousarray(framed[:, :, :3]),
        "opaque RGBA on grey paper, a white top-left pixel": grey_paper,
        "opaque RGBA with ink on the frame": edge,
        "opaque RGBA on white paper": on_white,
        "RGB on white paper": np.ascontiguousarray(on_white[:, :, :3]),
        "grey (L) on white paper": np.asarray(Image.fromarray(on_white).convert("L")),
        "canvas with a background colour": coloured,
        "light ink on dark paper (RGB)": 255 - np.ascontiguousarray(on_white[:, :, :3]),
        "colour noise, RGB": noise,
        "colour noise, opaque RGBA": np.concatenate([noise, np.full((280, 280, 1), 255, np.uint8)], axis=2),
        "odd-sized photo-like RGBA": np.asarray(
            pen_digit(size=97, background=(90, 80, 60, 255), ink=(250, 240, 200, 255))
        ),
        "wide opaque RGBA": np.asarray(
            Image.alpha_composite(
                Image.new("RGBA", (410, 150), (240, 240, 235, 255)), pen_digit(410).resize((410, 150))
            )
        ),
    }


@pytest.mark.parametrize("kind", list(inputs()))
def test_every_input_kind_gives_the_same_steps_as_before(kind):
    arr = inputs()[kind]
    expected, steps = reference_steps(arr), preprocess_steps(arr)
    assert expected is not None and steps is not None
    ink, bbox, box, offset, image = expected
    assert np.array_equal(steps.ink_u8, ink) and steps.bbox == bbox and steps.offset == offset
    assert np.array_equal(steps.box, box) and np.array_equal(steps.image, image)


def test_the_opaque_rgba_path_matches_on_every_colour_at_once():
    """All 2^24 colours as 214 opaque RGBA pictures of 280x280: the ink maps equal the reference's, pixel for pixel."""
    colours = np.arange(1 << 24, dtype=np.uint32)
    rgb = np.stack([colours >> 16, (colours >> 8) & 255, colours & 255], axis=1).astype(np.uint8)
    n = 280 * 280
    for start in [*range(0, len(rgb) - n + 1, n), len(rgb) - n]:  # the last picture overlaps the one before
        picture = np.concatenate([rgb[start : start + n], np.full((n, 1), 255, np.uint8)], axis=1).reshape(280, 280, 4)
        assert np.array_equal(ink_map(picture), reference_ink_map(picture)), start


def test_the_grey_table_holds_the_reference_grey_level_of_every_colour():
    """Every colour's own level, not only its distance from the paper (which clips those past the paper)."""
    table, chunk = _grey_table(), 1 << 20
    for start in range(0, 1 << 24, chunk):
        colours = np.arange(start, start + chunk, dtype=np.uint32)
        rgb = np.stack([colours & 255, (colours >> 8) & 255, colours >> 16], axis=-1).astype(np.uint8)
        assert np.array_equal(table[start : start + chunk], reference_grey(rgb)), start
