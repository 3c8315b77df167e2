"""Real pen data: the 30 training writers of UCI's pendigits, drawn the way the canvas hands over a drawing.

`load_pendigits()` reads the vendored rows (training/data/, checked against their SHA-256);
`draw_pendigits()` draws trajectories as 28x28 inputs framed the way `to_mnist` frames a canvas.

Every pendigits trajectory was scaled per axis to fill 0..100, so a thin 1 arrives as wide as it is
tall; a drawing on the canvas keeps its aspect. Before drawing, each trajectory gets back a plausible
aspect (width / height), drawn at random from the aspects of MNIST skeletons of the same digit
(`skeleton_aspects`: a 1 is tall and thin, a 0 about round). Half are left stretched (`stretched`), as
recorded trajectories arrive: without them, drawn squares of the training writers' own digits are read
87% right instead of 96% (docs/experiments.md).
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.data import DataError
from training.pen import draw_framed, thin

TRAIN_FILE = Path(__file__).resolve().parent / "data" / "pendigits-train.csv"
TRAIN_SHA256 = "67737502a6d931254638b638d4f4abda334ccbbe3b66bf34e4be6e72869791a0"  # header + UCI pendigits.tra
POINTS = 8  # (x, y) points per trajectory
GRID = 100  # the trajectories' 0..100 grid
SKELETONS_PER_DIGIT = 300  # MNIST digits thinned per class to learn its aspects (~1 s for all ten)


@dataclass(frozen=True)
class PenDataConfig:
    width: tuple[float, float] = (
        1.2,
        3.4,
    )  # pen width in the 28x28 field, px: 20 x pen / digit height, as 14..24 px pens on 110..250 px digits give (mean 2.2)
    jitter: float = (
        0.01  # each point moves by this fraction of the digit's size (Gaussian sd): the same writer, a new stroke
    )
    stretched: float = 0.5  # share drawn as recorded, stretched to a square (the rest get back an aspect)


def load_pendigits(path: Path | None = None, sha256: str = TRAIN_SHA256) -> tuple[np.ndarray, np.ndarray]:
    """The vendored rows (or `path`) -> trajectories (n, 8, 2) float32 (x, y) on 0..100 with y up, and labels (n,) int64."""
    path = path or TRAIN_FILE
    try:
        raw = Path(path).read_bytes()
    except OSError:
        raise DataError(f"The pen data file {path} is missing; restore it with `git checkout -- {path}`.") from None
    if hashlib.sha256(raw).hexdigest() != sha256:
        raise DataError(
            f"The pen data file {path} is damaged (its SHA-256 does not match); restore it with `git checkout -- {path}`."
        )
    rows = list(csv.reader(raw.decode().splitlines()))[1:]  # header: "", c1..c16, class
    values = np.array([[float(v) for v in row[1:]] for row in rows], dtype=np.float32).reshape(-1, 2 * POINTS + 1)
    return values[:, : 2 * POINTS].reshape(-1, POINTS, 2), values[:, -1].astype(np.int64)


def skeleton_aspects(
    images: np.ndarray, labels: np.ndarray, rng: np.random.Generator, per_digit: int = SKELETONS_PER_DIGIT
) -> list[np.ndarray]:
    """uint8 MNIST digits (n, 28, 28) and labels -> per digit 0..9 the width / height of thinned samples of it:
    the aspect of the pen's path, without the pen's width that an ink box would add."""
    aspects = []
    for digit in range(10):
        pool = np.flatnonzero(labels == digit)
        if not len(pool):
            aspects.append(np.ones(1, np.float32))
            continue
        pick = rng.choice(pool, min(per_digit, len(pool)), replace=False)
        skeletons = thin(images[pick] >= 128)
        rows, cols = skeletons.any(axis=2), skeletons.any(axis=1)  # (m, 28) which rows / columns hold the skeleton
        height = np.maximum(_span(rows), 1)
        aspects.append((np.maximum(_span(cols), 1) / height).astype(np.float32))
    return aspects


def draw_pendigits(
    trajectories: np.ndarray,
    labels: np.ndarray,
    rng: np.random.Generator,
    aspects: list[np.ndarray],
    cfg: PenDataConfig = PenDataConfig(),
) -> np.ndarray:
    """Trajectories (n, 8, 2) (x, y up, 0..100) -> (n, 28, 28) float32 in [0, 1], each drawn as one pen line framed
    like `to_mnist`, with a random pen width and an aspect drawn from `aspects[label]` (or stretched, a `cfg.stretched` share)."""
    n = len(trajectories)
    yx = np.stack([GRID - trajectories[..., 1], trajectories[..., 0]], axis=-1).astype(np.float32)  # (y down, x)
    aspect = np.array([aspects[d][rng.integers(len(aspects[d]))] for d in labels.tolist()], np.float32)
    # the recorded box is a square: give it back a width of `aspect` times its height
    yx[..., 1] *= aspect[:, None]
    yx += rng.normal(0.0, cfg.jitter * GRID, yx.shape).astype(np.float32)
    width = rng.uniform(*cfg.width, n).astype(np.float32)
    return draw_framed(yx, width, rng.random(n) < cfg.stretched)


def _span(mask: np.ndarray) -> np.ndarray:
    """(m, k) bool -> (m,) last minus first True index, plus one (0 where none)."""
    first = mask.argmax(axis=1)
    last = mask.shape[1] - 1 - mask[:, ::-1].argmax(axis=1)
    return np.where(mask.any(axis=1), last - first + 1, 0)
