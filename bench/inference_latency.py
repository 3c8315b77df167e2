"""One drawing, canvas array to probabilities: our path (to_mnist + predict_proba) vs Keras' predict.

    .venv/bin/python bench/inference_latency.py [--model NAME] [--repeats 300]

The canvas is a real 280x280 RGBA drawing (a held-out pen digit, drawn like the browser's).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.holdout_data import draw_trajectory, pendigits  # noqa: E402
from model import Classifier, to_mnist  # noqa: E402


def timings(fn, repeats: int) -> np.ndarray:
    fn()  # warm-up (first call traces or allocates)
    out = np.empty(repeats)
    for i in range(repeats):
        start = time.perf_counter()
        fn()
        out[i] = time.perf_counter() - start
    return out * 1000  # ms


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model")
    parser.add_argument("--repeats", type=int, default=300)
    args = parser.parse_args()

    classifier = Classifier.load(args.model)
    trajectories, _ = pendigits()
    canvas = draw_trajectory(trajectories[0], np.random.default_rng(0))  # (280, 280, 4) uint8
    x = to_mnist(canvas)[None]

    rows = [
        ("to_mnist (canvas -> 28x28)", timings(lambda: to_mnist(canvas), args.repeats)),
        ("predict_proba (NumPy)", timings(lambda: classifier.predict_proba(x), args.repeats)),
        ("to_mnist + predict_proba", timings(lambda: classifier.predict_proba(to_mnist(canvas)[None]), args.repeats)),
        ("keras_model(x) direct call", timings(lambda: classifier.keras_model(x, training=False), min(args.repeats, 100))),
        ("to_mnist + keras_model.predict", timings(lambda: classifier.keras_model.predict(to_mnist(canvas)[None], verbose=0),
                                                   min(args.repeats, 50))),
    ]
    ours, keras_predict = np.median(rows[2][1]), np.median(rows[4][1])
    print(f"model: {classifier.name} ({classifier.meta.arch.describe()}, {classifier.meta.params:,} params)")
    print(f"{'path':<32} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8}")
    for name, t in rows:
        print(f"{name:<32} {np.median(t):>8.3f} {np.percentile(t, 90):>8.3f} {np.percentile(t, 99):>8.3f}")
    print(f"speed-up of our path over keras predict (p50): {keras_predict / ours:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
