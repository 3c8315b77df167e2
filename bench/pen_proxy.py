"""MNIST test digits written the way pendigits was recorded: a stand-in to tune against, not the holdout.

    .venv/bin/python -m bench.pen_proxy [--model NAME ...] [--source mnist|optdigits] [--n 3000] [--seed 1] [--styled 0.5]

pendigits' 14 test writers (../shared/holdout) are for measuring only (its 30 training writers are
trained on: training/pendigits.py). To work on the gap without tuning on the test writers, this bench rebuilds its recording process on digits nobody trains on, the MNIST
test set: each digit is thinned and walked like a pen (training/pen.py; strokes joined by the
pen-up move), resampled to 8 points evenly spaced along the path, each axis scaled to 0..100 on
its own (as every pendigits row is), then drawn on a 280x280 canvas exactly like a pendigits
sample (bench/holdout_data.py) and read through to_mnist. `--styled` writes that share of
the 1s, 7s and 9s in other writers' ways (training/pen.py's `writer_style`: a long upstroke, a crossbar
or tick, a curled tail).

What it does not have: the pendigits writers' own styles. It also flatters models trained with
--pen-strokes, whose augmentation walks the digits the same way. Read it next to bench/holdout.py.

`--source optdigits` records scikit-learn's `load_digits` instead (1,797 scans by 13 writers of the
university where pendigits was written, 8x8 blocks of ink counts, enlarged through to_mnist first):
other writers' own styles (crossed 7s, flagged 1s, 9s with curled tails), but their coarse scans
thin into rough skeletons, so its 1s, 4s and 8s read far worse than written ones would.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from bench.holdout_data import draw_trajectory
from model import Classifier, to_mnist
from model.registry import RegistryError
from training.data import load_mnist
from training.evaluate import evaluate
from training.pen import pen_paths, resample, writer_style

POINTS = 8  # pendigits keeps 8 points per digit


def trajectories(images: np.ndarray, labels: np.ndarray, rng: np.random.Generator, styled: float) -> np.ndarray:
    """uint8 (n, 28, 28) digits -> (n, 8, 2) pen trajectories (x, y) on a 0..100 grid, y up, each axis spanning it."""
    out = []
    for (_, lifted), digit in zip(pen_paths(images), labels):
        path = writer_style(lifted, int(digit), rng) if rng.random() < styled else lifted
        yx = resample(path, POINTS, POINTS).astype(float)
        xy = np.stack([yx[:, 1], -yx[:, 0]], axis=1)  # (y down, x) -> (x, y up)
        out.append((xy - xy.min(axis=0)) / np.maximum(np.ptp(xy, axis=0), 1e-6) * 100)
    return np.round(np.array(out))


def optdigits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits (8x8 ink counts 0..16) -> uint8 (n, 28, 28) MNIST-style digits and labels."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise SystemExit("error: --source optdigits needs scikit-learn (make test-setup installs it).") from None
    from PIL import Image

    digits = load_digits()
    images = [
        Image.fromarray((scan * 255 / 16).astype(np.uint8)).resize((160, 160), Image.Resampling.BICUBIC)
        for scan in digits.images
    ]
    return np.stack([(to_mnist(np.asarray(im)) * 255).astype(np.uint8) for im in images]), digits.target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", nargs="*", default=[None], help="registry names (default: the active model)")
    parser.add_argument(
        "--source",
        choices=("mnist", "optdigits"),
        default="mnist",
        help="whose digits to record: MNIST's test set, or scikit-learn's scans of other writers",
    )
    parser.add_argument("--n", type=int, default=3000, help="MNIST test digits drawn (of 10,000; optdigits: all 1,797)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--styled", type=float, default=0.0, help="share of 1s, 7s and 9s written in other writers' ways"
    )
    args = parser.parse_args()
    if not 0 < args.n <= 10_000 or not 0 <= args.styled <= 1:
        print("error: --n must be 1..10000 and --styled 0..1.", file=sys.stderr)
        return 2

    try:
        classifiers = [Classifier.load(name) for name in args.model]
    except RegistryError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    if args.source == "optdigits":
        images, labels = optdigits()
        what = f"{len(labels)} scikit-learn digits (other writers)"
    else:
        (_, _), (x_test, y_test) = load_mnist()
        pick = rng.choice(len(x_test), args.n, replace=False)
        images, labels = x_test[pick], y_test[pick]
        what = f"{args.n} MNIST test digits"
    drawn = np.stack([to_mnist(draw_trajectory(t, rng)) for t in trajectories(images, labels, rng, args.styled)])
    print(
        f"{what} as 8-point pen trajectories, each axis stretched to 0..100, "
        f"styled share {args.styled:.0%} ({time.perf_counter() - start:.0f} s to draw)"
    )
    print(f"{'model':<24} {'accuracy':>9}  recall per digit 0..9")
    for classifier in classifiers:
        result = evaluate(classifier.predict_proba(drawn), labels)
        recall = " ".join(f"{r['recall']:.0%}".rjust(4) for r in result.per_class)
        print(f"{classifier.name:<24} {result.accuracy:>9.2%}  {recall}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
