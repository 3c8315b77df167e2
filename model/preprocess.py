"""Turn any picture of a digit into an MNIST-style 28x28 input: the one preprocessing path.

What LeCun's MNIST page describes, step by step:
  1. find the ink (light-on-dark, dark-on-light or alpha all work) and crop to it,
  2. scale the longer side to 20 px keeping the aspect ratio, anti-aliased,
  3. paste into a 28x28 field so the ink's centre of mass sits at the centre.

The canvas, uploads, the CLI, the held-out benchmark and the tests all call `to_mnist`
(or `preprocess_steps`, which is the same path keeping the intermediate images).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from PIL import Image

from model.spec import IMAGE_SIDE  # output field, pixels

BOX_SIDE = 20  # the digit's longer side after scaling, pixels
PREPROCESS_VERSION = 1  # bump when the output of to_mnist changes; stored with every model
MIN_CONTRAST = 0.08  # ink weaker than this (fraction of full scale) is treated as no ink at all
INK_CUTOFF = 0.2  # pixels below this fraction of the strongest ink do not count for the crop
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R 601 weights: RGB -> grey level


@dataclass(frozen=True)
class Steps:
    """The intermediate images of one preprocessing run, for the Draw page's explanation."""

    ink_u8: np.ndarray  # (H, W) uint8: 255 = full ink, whatever the input's polarity
    bbox: tuple[int, int, int, int]  # (top, left, bottom, right) of the ink in the input, bottom/right exclusive
    box: np.ndarray  # (h, w) float32 in [0, 1], longer side BOX_SIDE: the cropped ink scaled down
    offset: tuple[int, int]  # (top, left) where `box` was pasted into the 28x28 field
    image: np.ndarray  # (28, 28) float32 in [0, 1]: what the network sees

    @property
    def ink(self) -> np.ndarray:
        """(H, W) float32 in [0, 1]: the ink map, 1 = full ink."""
        return self.ink_u8.astype(np.float32) * (1 / 255)


def to_mnist(image) -> np.ndarray | None:
    """Any H x W, H x W x 3 or H x W x 4 uint8 array or PIL image -> (28, 28) float32 in [0, 1], or None if blank."""
    steps = preprocess_steps(image)
    return None if steps is None else steps.image


def preprocess_steps(image) -> Steps | None:
    """The same path as `to_mnist`, keeping every intermediate image; None when there is no ink."""
    # (H, W) uint8; everything up to the 20-px box stays in uint8: it runs on every stroke
    ink, (r0, r1, c0, c1) = _ink_and_region(image)
    if ink.size and ink[0, 0] and (r1 - r0, c1 - c0) != ink.shape:  # ink outside the region too: scan it all
        r0, r1, c0, c1 = 0, ink.shape[0], 0, ink.shape[1]
    region = ink[r0:r1, c0:c1]  # outside it there is no ink
    row_peaks = region.max(axis=1) if region.size else np.zeros(1, np.uint8)
    peak = int(row_peaks.max())
    if peak < MIN_CONTRAST * 255:
        return None

    # 1. crop to the ink: rows and columns holding a pixel above the cutoff (relative to the strongest stroke)
    cutoff = max(1, int(INK_CUTOFF * peak))
    rows = np.flatnonzero(row_peaks >= cutoff)
    top, bottom = r0 + int(rows[0]), r0 + int(rows[-1]) + 1
    cols = np.flatnonzero(ink[top:bottom, c0:c1].max(axis=0) >= cutoff)  # no row outside holds such a pixel
    left, right = c0 + int(cols[0]), c0 + int(cols[-1]) + 1
    crop = ink[top:bottom, left:right]

    # 2. longer side -> 20 px, aspect ratio kept; PIL's bilinear filter widens with the
    #    scale factor when shrinking, so this is an area-weighted, anti-aliased resize
    h, w = crop.shape
    scale = BOX_SIDE / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    box = np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.BILINEAR), dtype=np.float32)
    box *= 1 / max(float(box.max()), 1.0)  # the strongest stroke becomes full ink, as in MNIST's binary sources

    # 3. centre of mass -> centre of the 28x28 field (integer shift, as MNIST did)
    total = float(box.sum())
    cy = float(np.arange(box.shape[0]) @ box.sum(axis=1)) / total
    cx = float(np.arange(box.shape[1]) @ box.sum(axis=0)) / total
    centre = IMAGE_SIDE / 2  # MNIST's mean centre of mass is (14.0, 14.0) in pixel indices
    offset = (int(round(centre - cy)), int(round(centre - cx)))
    field = np.zeros((IMAGE_SIDE, IMAGE_SIDE), dtype=np.float32)
    _paste(field, box, *offset)
    return Steps(ink_u8=ink, bbox=(top, left, bottom, right), box=box, offset=offset, image=field)


def ink_map(image) -> np.ndarray:
    """(H, W) uint8 where 255 is ink: alpha if the picture has transparency, else distance from the paper."""
    return _ink_and_region(image)[0]


def _ink_and_region(image) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """`ink_map`, and the (top, bottom, left, right) rectangle outside which the ink is one level: that of
    the top-left pixel (the whole picture, unless an opaque colour picture shows plain paper around it)."""
    if isinstance(image, Image.Image):
        from model.images import as_uint8  # PIL modes (16-bit, CMYK, palette...) -> L, RGB or RGBA

        image = as_uint8(image)
    arr = np.asarray(image)
    if arr.dtype == np.bool_:
        arr = arr.astype(np.uint8) * 255
    if arr.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got an array of {arr.dtype}.")
    whole = (0, arr.shape[0], 0, arr.shape[1]) if arr.ndim >= 2 else (0, 0, 0, 0)
    if arr.ndim == 3 and arr.shape[2] == 4:
        arr = np.ascontiguousarray(arr)
        if arr.view("<u4").min() < 0xFF000000:  # some alpha below 255: the ink is whatever was painted
            return np.ascontiguousarray(arr[:, :, 3]), whole
    if arr.ndim == 2:
        return _ink(arr, _paper_level(arr)), whole
    if not (arr.ndim == 3 and arr.shape[2] in (3, 4)):
        raise ValueError(f"expected an H x W, H x W x 3 or H x W x 4 image, got shape {arr.shape}.")
    grey, region = _grey(np.ascontiguousarray(arr))
    top, bottom, left, right = region
    paper = _paper_level(grey, region)
    ink = np.full(grey.shape, _ink(grey[:1, :1], paper)[0, 0], np.uint8)  # outside the region: the top-left colour
    ink[top:bottom, left:right] = _ink(grey[top:bottom, left:right], paper)
    return ink, region


def _ink(grey: np.ndarray, paper: int) -> np.ndarray:
    """uint8 grey levels -> uint8 distance from the paper: darker than light paper, or lighter than dark paper."""
    if paper > 127:
        return np.subtract(paper, np.minimum(grey, paper), dtype=np.uint8)
    return np.subtract(np.maximum(grey, paper), paper, dtype=np.uint8)


def _grey(arr: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """C-contiguous (H, W, 3 or 4) uint8 colours -> (H, W) uint8 grey levels (alpha ignored), and the
    (top, bottom, left, right) rectangle outside which every pixel is the top-left pixel's colour.

    Only that rectangle is looked up colour by colour: a picture on plain paper so skips most of its pixels.
    """
    h, w, channels = arr.shape
    # compare 8 bytes at a time where a row's length allows; a word can span two pixels or three, so the
    # rectangle may take in a pixel or two of that colour on each side
    word = next(size for size in (8, 4, 2, 1) if w * channels % size == 0)
    dtype = np.dtype(f"<u{word}")
    differs = arr.reshape(h, w * channels).view(dtype) != np.tile(arr[0, 0], w).view(dtype)
    rows = np.flatnonzero(differs.any(axis=1))
    grey = np.full((h, w), _grey_levels(arr[:1, :1])[0, 0], np.uint8)
    if not rows.size:
        return grey, (0, 0, 0, 0)
    top, bottom = int(rows[0]), int(rows[-1]) + 1
    words = np.flatnonzero(differs[top:bottom].any(axis=0))
    left, right = int(words[0]) * word // channels, ((int(words[-1]) + 1) * word - 1) // channels + 1
    grey[top:bottom, left:right] = _grey_levels(arr[top:bottom, left:right])
    return grey, (top, bottom, left, right)


def _grey_levels(pixels: np.ndarray) -> np.ndarray:
    """(h, w, 3 or 4) uint8 -> (h, w) uint8, each colour looked up in `_grey_table`."""
    if pixels.shape[2] == 3:  # pad to 4 bytes a pixel, a channel at a time (numpy copies 3-wide strides slowly)
        padded = np.zeros(pixels.shape[:2] + (4,), np.uint8)
        for channel in range(3):
            padded[:, :, channel] = pixels[:, :, channel]
        pixels = padded
    colours = np.ascontiguousarray(pixels).view("<u4")[:, :, 0] & 0xFFFFFF  # R | G << 8 | B << 16
    return np.take(_grey_table(), colours)


@functools.cache
def _grey_table() -> np.ndarray:
    """The ITU-R 601 grey level of all 2^24 colours (index R | G << 8 | B << 16): 16 MB, built on first use.

    Rounded as the float32 matrix product it replaced rounded on an FMA CPU (the red term, then fused
    multiply-adds of green and blue, each to float32): every colour keeps its grey level, now on any CPU.
    """
    table = np.empty(1 << 24, np.uint8)
    red, green, blue = LUMA.astype(np.float64)  # a float32 x uint8 product is exact in float64
    chunk = 1 << 20
    for start in range(0, 1 << 24, chunk):
        colour = np.arange(start, start + chunk, dtype=np.uint32)
        level = ((colour & 255) * red).astype(np.float32)
        level = (((colour >> 8) & 255) * green + level).astype(np.float32)
        level = ((colour >> 16) * blue + level).astype(np.float32)
        table[start : start + chunk] = level.round()
    return table


def _paper_level(grey: np.ndarray, region: tuple[int, int, int, int] | None = None) -> int:
    """The background's grey level: the median of the image's outer frame (four bands k pixels wide).

    With `region` (see `_grey`): when more than half the frame lies outside it, and so has the top-left
    pixel's level, that level is the median, and no pixel needs reading.
    """
    h, w = grey.shape
    k = max(1, min(h, w) // 20)
    if region is not None:
        top, bottom, left, right = region
        rows_in = [max(0, min(bottom, stop) - max(top, start)) for start, stop in ((0, k), (h - k, h))]
        cols_in = [max(0, min(right, stop) - max(left, start)) for start, stop in ((0, k), (w - k, w))]
        frame_in_region = sum(rows_in) * (right - left) + sum(cols_in) * (bottom - top)
        frame = 2 * k * (h + w)  # the bands' pixels, corners counted twice as below
        if frame - frame_in_region >= frame // 2 + 1:  # a run that long covers both middle elements
            return int(grey[0, 0])
    frame = np.concatenate([grey[:k].ravel(), grey[-k:].ravel(), grey[:, :k].ravel(), grey[:, -k:].ravel()])
    middle = ((frame.size - 1) // 2, frame.size // 2)  # np.median's two middle elements, without its overhead
    low, high = np.partition(frame, middle)[list(middle)]
    return (int(low) + int(high)) // 2


def _paste(field: np.ndarray, box: np.ndarray, top: int, left: int) -> None:
    """Copy `box` into `field` with its corner at (top, left), clipping whatever falls outside."""
    h, w = box.shape
    ft, fl = max(top, 0), max(left, 0)
    fb, fr = min(top + h, field.shape[0]), min(left + w, field.shape[1])
    if fb > ft and fr > fl:
        field[ft:fb, fl:fr] = box[ft - top : fb - top, fl - left : fr - left]
