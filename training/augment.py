"""On-the-fly augmentation that makes a dense network robust to how people really draw.

Each call warps a whole batch at once in NumPy: a random affine map (shift, rotation,
scale, aspect, shear) plus a smooth elastic displacement field, applied with one
bilinear resampling, then a random stroke-thickness change on part of the batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from model.spec import IMAGE_SIDE


@dataclass(frozen=True)
class AugmentConfig:
    max_shift: float = 2.0  # pixels, uniform in [-max_shift, max_shift] along each axis
    max_rotation: float = 12.0  # degrees, uniform in [-max_rotation, max_rotation]
    scale: tuple[float, float] = (0.85, 1.1)  # overall size factor range
    aspect: float = 0.3  # width/height ratio varies by exp(uniform(-aspect, aspect))
    max_shear: float = 0.25  # horizontal shear factor (slant), uniform in [-max_shear, max_shear]
    elastic: float = 1.5  # pixels: amplitude of the smooth displacement field
    elastic_grid: int = 4  # control points per side of that field (coarse grid -> smooth field)
    thicken: float = (
        0.2  # fraction of images whose strokes get 1 px thicker (a canvas pen is often bolder than MNIST's)
    )
    thin: float = 0.1  # fraction of images whose strokes get thinner


def augment_batch(x: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig = AugmentConfig()) -> np.ndarray:
    """(n, 28, 28) float32 in [0, 1] -> (n, 28, 28) float32 in [0, 1], each image randomly distorted."""
    n = len(x)
    # affine map from output pixel (relative to the centre) to input pixel: inverse of what the image undergoes
    angle = np.deg2rad(rng.uniform(-cfg.max_rotation, cfg.max_rotation, n))
    scale = rng.uniform(*cfg.scale, n)
    aspect = np.exp(rng.uniform(-cfg.aspect, cfg.aspect, n))
    shear = rng.uniform(-cfg.max_shear, cfg.max_shear, n)
    cos, sin = np.cos(angle), np.sin(angle)
    zeros, ones = np.zeros(n), np.ones(n)
    # forward map on (y, x) = rotation @ slant @ scale; we sample with its inverse
    rotate = np.stack([np.stack([cos, sin], -1), np.stack([-sin, cos], -1)], 1)
    slant = np.stack([np.stack([ones, zeros], -1), np.stack([shear, ones], -1)], 1)
    stretch = np.stack([np.stack([scale, zeros], -1), np.stack([zeros, scale * aspect], -1)], 1)
    inv = np.linalg.inv(rotate @ slant @ stretch)  # (n, 2, 2)
    shift = rng.uniform(-cfg.max_shift, cfg.max_shift, (n, 2))

    centre = IMAGE_SIDE / 2 - 0.5
    grid = (
        np.stack(np.meshgrid(np.arange(IMAGE_SIDE), np.arange(IMAGE_SIDE), indexing="ij"), -1).reshape(-1, 2) - centre
    )  # (784, 2)
    rel = grid[None, :, :] - shift[:, None, :]  # (n, 784, 2) output pixel relative to the moved centre
    coords = rel @ inv.transpose(0, 2, 1) + centre  # (n, 784, 2) where to read in the input (y, x)
    if cfg.elastic > 0:
        coords += _elastic_field(n, rng, cfg).reshape(n, -1, 2)
    out = _bilinear(x, coords[..., 0], coords[..., 1]).reshape(n, IMAGE_SIDE, IMAGE_SIDE)

    pick = rng.random(n)
    thick = pick < cfg.thicken
    thin = (pick >= cfg.thicken) & (pick < cfg.thicken + cfg.thin)
    if thick.any():
        out[thick] = ndimage.maximum_filter(out[thick], size=(1, 2, 2))
    if thin.any():
        out[thin] = ndimage.minimum_filter(out[thin], size=(1, 2, 2)) * 0.5 + out[thin] * 0.5
    return np.clip(out, 0.0, 1.0, out=out).astype(np.float32, copy=False)


def _elastic_field(n: int, rng: np.random.Generator, cfg: AugmentConfig) -> np.ndarray:
    """(n, 28, 28, 2) smooth displacements: random control points on a coarse grid, bilinearly upsampled."""
    k = cfg.elastic_grid
    coarse = rng.uniform(-cfg.elastic, cfg.elastic, (n, k, k, 2))
    up = _upsample_matrix(k)  # (28, k)
    return np.einsum("ya,nabc,xb->nyxc", up, coarse, up, optimize=True)


def _upsample_matrix(k: int) -> np.ndarray:
    pos = np.linspace(0, k - 1, IMAGE_SIDE)
    lo = np.clip(np.floor(pos).astype(int), 0, k - 2)
    frac = pos - lo
    m = np.zeros((IMAGE_SIDE, k))
    m[np.arange(IMAGE_SIDE), lo] = 1 - frac
    m[np.arange(IMAGE_SIDE), lo + 1] += frac
    return m


def _bilinear(x: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Sample images x (n, 28, 28) at float coordinates (n, p); outside the field reads as 0."""
    n, w = len(x), IMAGE_SIDE + 2
    padded = np.zeros((n, w, w), dtype=np.float32)  # a zero border so every read stays in bounds
    padded[:, 1:-1, 1:-1] = x
    ys = np.clip(ys.astype(np.float32) + 1, 0, IMAGE_SIDE + 0.999)
    xs = np.clip(xs.astype(np.float32) + 1, 0, IMAGE_SIDE + 0.999)
    y0, x0 = ys.astype(np.intp), xs.astype(np.intp)  # floor: coordinates are non-negative here
    fy, fx = ys - y0, xs - x0
    idx = (np.arange(n)[:, None] * (w * w) + y0 * w + x0).ravel()
    flat = padded.ravel()
    fx, fy = fx.ravel(), fy.ravel()
    top = flat[idx] * (1 - fx) + flat[idx + 1] * fx
    bottom = flat[idx + w] * (1 - fx) + flat[idx + w + 1] * fx
    return (top * (1 - fy) + bottom * fy).reshape(ys.shape)
