"""Common ways of writing each digit, drawn as a user draws them and as pendigits recorded its writers:
which styles the network reads, and which ones only the recording makes hard.

    .venv/bin/python -m bench.style_grid [--model NAME] [--n 60] [--seed 0]

The styles are written down here by hand from how people commonly write digits (a 1 with a flag and a
base, a crossed 7, an open 4, a 9 with a tail...), not taken from any dataset; nothing trains on them.
Each is written --n times with a random slant, width and wobble, then put on a 280x280 canvas
(bench/holdout_data.py) and read through to_mnist like a drawing, two ways:
  drawn:    stroke by stroke, aspect kept, as a user draws on the Draw page's canvas;
  recorded: the way every pendigits row was made (../shared/holdout/README.md): the strokes joined by
            the pen's move between them, 8 points evenly spaced along that path, each axis stretched to 0..100.
A style read right when drawn but not when recorded is hard because of the recording, not the writing.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter

import numpy as np

from bench.holdout_data import draw_strokes, draw_trajectory
from model import Classifier, to_mnist
from model.registry import RegistryError
from training.pen import resample

POINTS = 8  # pendigits keeps 8 points per digit
SLANT = 0.2  # horizontal shear, uniform in [-SLANT, SLANT] of the height
WIDTH = 0.25  # width scaled by exp(uniform(-WIDTH, WIDTH))
WOBBLE = 0.02  # each point moves by this much of the digit's height (Gaussian sd)


def arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 10) -> list[tuple[float, float]]:
    """Points on an ellipse from angle `start` to `end`, degrees, y down (90 is the bottom, -90 the top);
    a falling angle turns anticlockwise on screen."""
    t = np.radians(np.linspace(start, end, n))
    return list(zip((cx + rx * np.cos(t)).tolist(), (cy + ry * np.sin(t)).tolist()))


def _figure_eight(n: int = 24) -> list[tuple[float, float]]:
    """An 8 in one stroke from the top: down the left into the crossing, round the bottom, back up the right."""
    t = np.linspace(0.0, 2 * np.pi, n)
    return list(zip((0.5 - 0.4 * np.sin(2 * t)).tolist(), (0.5 - 0.5 * np.cos(t)).tolist()))


_SEVEN = [(0.0, 0.0), (1.0, 0.0), (0.35, 1.0)]  # its stem crosses height y at x = 1 - 0.65 y
_NINE = arc(0.5, 0.25, 0.4, 0.25, 0, -360, 14) + [(0.9, 0.25), (0.85, 1.0)]
_FIVE_BELLY = [(0.22, 0.44)] + arc(0.45, 0.7, 0.4, 0.3, -120, 150, 10)
# digit -> style -> strokes in the order they are written, each a list of (x, y) in a unit box, y down
STYLES: dict[int, dict[str, list[list[tuple[float, float]]]]] = {
    0: {"oval from the top": [arc(0.5, 0.5, 0.4, 0.5, -90, -450, 16)]},
    1: {
        "stick": [[(0.5, 0.0), (0.45, 1.0)]],
        "flag": [[(0.2, 0.3), (0.55, 0.0), (0.5, 1.0)]],
        "flag and base": [[(0.2, 0.3), (0.55, 0.0), (0.5, 1.0)], [(0.25, 1.0), (0.75, 1.0)]],
    },
    2: {
        "curved": [arc(0.5, 0.3, 0.4, 0.3, 200, 390, 8) + [(0.05, 1.0), (1.0, 1.0)]],
        "like a Z": [[(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)]],
    },
    3: {"two bumps": [arc(0.45, 0.25, 0.4, 0.25, 200, 450, 8) + arc(0.45, 0.75, 0.45, 0.25, -90, 160, 8)[1:]]},
    4: {
        "open": [[(0.35, 0.0), (0.05, 0.65), (1.0, 0.65)], [(0.75, 0.25), (0.75, 1.0)]],
        "closed": [[(0.7, 0.0), (0.0, 0.65), (1.0, 0.65)], [(0.7, 0.0), (0.7, 1.0)]],
    },
    5: {
        "bar last": [[(0.25, 0.0)] + _FIVE_BELLY, [(0.25, 0.0), (0.9, 0.0)]],
        "one stroke": [[(0.9, 0.0), (0.25, 0.0)] + _FIVE_BELLY],
    },
    6: {"one stroke": [[(0.75, 0.0), (0.35, 0.2), (0.12, 0.55)] + arc(0.5, 0.72, 0.4, 0.28, 180, -170, 12)]},
    7: {
        "plain": [_SEVEN],
        "tick": [[(0.0, 0.2)] + _SEVEN],
        "crossed in the middle": [_SEVEN, [(0.34, 0.55), (0.94, 0.55)]],
        "crossed low": [_SEVEN, [(0.18, 0.8), (0.78, 0.8)]],
        "tick, crossed": [[(0.0, 0.2)] + _SEVEN, [(0.34, 0.55), (0.94, 0.55)]],
    },
    8: {"one stroke": [_figure_eight()]},
    9: {"loop and stem": [_NINE], "tail curling left": [_NINE + [(0.55, 0.95)]]},
}


def write(strokes: list[list[tuple[float, float]]], rng: np.random.Generator) -> list[np.ndarray]:
    """A style's strokes -> the same strokes (m, 2) (x, y) with y up, slanted, narrowed or widened, and wobbly."""
    slant, width = rng.uniform(-SLANT, SLANT), np.exp(rng.uniform(-WIDTH, WIDTH))
    out = []
    for stroke in strokes:
        xy = np.array(stroke, float)
        xy = np.stack([(xy[:, 0] + slant * (0.5 - xy[:, 1])) * width, -xy[:, 1]], axis=1)
        out.append(xy + rng.normal(0.0, WOBBLE, xy.shape))
    return out


def recorded(strokes: list[np.ndarray]) -> np.ndarray:
    """Strokes (x, y) -> one pendigits row (8, 2): joined, 8 points evenly spaced along the path, each axis 0..100."""
    xy = resample(np.concatenate(strokes).astype(np.float32), POINTS, POINTS).astype(float)
    return np.round((xy - xy.min(axis=0)) / np.maximum(np.ptp(xy, axis=0), 1e-6) * 100)


def canvases(
    strokes: list[list[tuple[float, float]]], n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """`n` writings of one style -> two (n, 28, 28) to_mnist inputs: drawn, and recorded the pendigits way."""
    drawn, rows = [], []
    for _ in range(n):
        written = write(strokes, rng)
        drawn.append(to_mnist(draw_strokes(written, rng)))
        rows.append(to_mnist(draw_trajectory(recorded(written), rng)))
    return np.stack(drawn), np.stack(rows)


def _most_common_wrong(readings: np.ndarray, digit: int) -> str:
    wrong = Counter(readings[readings != digit].tolist()).most_common(1)
    return f"{wrong[0][0]} ({wrong[0][1]})" if wrong else "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="registry name (default: the active model)")
    parser.add_argument("--n", type=int, default=60, help="writings of each style")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.n < 1:
        print("error: --n must be at least 1.", file=sys.stderr)
        return 2
    try:
        classifier = Classifier.load(args.model)
    except RegistryError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    start, rng = time.perf_counter(), np.random.default_rng(args.seed)
    print(f"model: {classifier.name} ({classifier.meta.arch.describe()}); {args.n} writings of each style")
    print(f"{'digit':<6}{'style':<24}{'drawn':>8}{'recorded':>10}  most common wrong reading: drawn / recorded")
    right = {"drawn": [], "recorded": []}
    for digit, styles in STYLES.items():
        for name, strokes in styles.items():
            results = {}
            for way, inputs in zip(right, canvases(strokes, args.n, rng)):
                results[way] = classifier.predict_proba(inputs).argmax(axis=1)
                right[way].append(np.mean(results[way] == digit))
            miss = " / ".join(_most_common_wrong(results[way], digit) for way in right)
            print(f"{digit:<6}{name:<24}{right['drawn'][-1]:>8.0%}{right['recorded'][-1]:>10.0%}  {miss}")
    print(
        f"{'all':<30}{np.mean(right['drawn']):>8.1%}{np.mean(right['recorded']):>10.1%}  "
        f"({sum(len(s) for s in STYLES.values())} styles, {time.perf_counter() - start:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
