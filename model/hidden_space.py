"""The last hidden layer as a space: a 2-D PCA map of the test digits, and a drawing's nearest test digits.

from model.hidden_space import fit_map, nearest
space = fit_map(hidden)                   # hidden: (n, units) the last hidden layer's outputs
xy = space.project(h)                     # (k, 2) for any (k, units)
idx = nearest(hidden, h_drawing, k=9)     # test indices, nearest first (Euclidean, all units)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class HiddenMap:
    mean: np.ndarray  # (units,) the test digits' mean activation, subtracted before projecting
    axes: np.ndarray  # (units, 2) the two principal directions
    xy: np.ndarray  # (n, 2) float32: every test digit on the map
    explained: tuple[float, float]  # share of the variance along each axis, 0..1

    def project(self, h: np.ndarray) -> np.ndarray:
        """(k, units) -> (k, 2)."""
        return ((np.asarray(h, dtype=np.float64) - self.mean) @ self.axes).astype(np.float32)


def fit_map(hidden: np.ndarray) -> HiddenMap:
    """PCA through the (units, units) covariance: eigh of a 1024x1024 matrix, not an SVD of 10,000 rows."""
    h = np.asarray(hidden, dtype=np.float32)
    mean = h.mean(axis=0, dtype=np.float64)
    centred = h - mean.astype(np.float32)  # float32: the (units, units) product is the slow part
    cov = (centred.T @ centred).astype(np.float64) / max(len(h) - 1, 1)
    values, vectors = np.linalg.eigh(cov)  # ascending
    if len(values) < 2:  # a one-unit layer: the map is a line
        values, vectors = np.concatenate([[0.0], values]), np.eye(len(mean), 2)[:, ::-1]
    axes = vectors[:, ::-1][:, :2]
    axes = axes * np.sign(axes[np.abs(axes).argmax(axis=0), [0, 1]])  # a fixed sign: the map never flips
    total = float(values.sum()) or 1.0
    return HiddenMap(
        mean,
        axes,
        (centred @ axes.astype(np.float32)).astype(np.float32),
        (float(values[-1] / total), float(values[-2] / total)),
    )


def nearest(hidden: np.ndarray, h: np.ndarray, k: int = 9) -> np.ndarray:
    """Indices of the k rows of (n, units) `hidden` nearest to (units,) `h`, nearest first."""
    d = ((hidden - h) ** 2).sum(axis=1)
    idx = np.argpartition(d, min(k, len(d) - 1))[:k]
    return idx[np.argsort(d[idx], kind="stable")]
