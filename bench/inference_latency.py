"""One drawing, canvas array to probabilities: our path (to_mnist + predict_proba) vs Keras' predict.

    .venv/bin/python -m bench.inference_latency [--model NAME] [--repeats 300]

The canvas is a real 280x280 RGBA drawing (a held-out pen digit, drawn like the browser's). The same
drawing as an opaque picture (an upload, a CLI file, a canvas with a background colour) takes the
grey-level path of to_mnist instead of the alpha one: as RGBA on white paper, as RGB, as grey (L), and as
an RGB photo (paper with camera-like noise: every pixel is looked up, none skipped as plain paper).
Our path runs on one OpenBLAS thread, as the Draw page runs a stroke (ui/perf.py's one_blas_thread):
on this shared 2-core machine a two-thread product waits for a busy core.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from PIL import Image

from bench.holdout_data import draw_trajectory, pendigits
from model import Classifier, to_mnist
from ui.perf import one_blas_thread


def timings(fn, repeats: int) -> np.ndarray:
    fn()  # warm-up (first call traces or allocates)
    out = np.empty(repeats)
    with one_blas_thread():
        for i in range(repeats):
            start = time.perf_counter()
            fn()
            out[i] = time.perf_counter() - start
    return out * 1000  # ms


def on_paper(canvas: np.ndarray) -> dict[str, np.ndarray]:
    """The transparent canvas composited onto white paper: {"opaque RGBA": (H, W, 4), "RGB": (H, W, 3), "L": (H, W),
    "RGB photo": (H, W, 3) on paper with camera-like noise, so no pixel can be skipped as plain paper}."""
    alpha = canvas[:, :, 3:] / 255
    rgb = np.round(canvas[:, :, :3] * alpha + 255 * (1 - alpha)).astype(np.uint8)
    rgba = np.concatenate([rgb, np.full_like(rgb[:, :, :1], 255)], axis=2)
    noise = np.random.default_rng(0).integers(-6, 1, rgb.shape)
    photo = np.clip(rgb.astype(int) + noise, 0, 255).astype(np.uint8)
    return {"opaque RGBA": rgba, "RGB": rgb, "L": np.asarray(Image.fromarray(rgb).convert("L")), "RGB photo": photo}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model")
    parser.add_argument("--repeats", type=int, default=300)
    args = parser.parse_args()

    classifier = Classifier.load(args.model)
    trajectories, _ = pendigits()
    canvas = draw_trajectory(trajectories[0], np.random.default_rng(0))  # (280, 280, 4) uint8
    x = to_mnist(canvas)[None]
    opaque = on_paper(canvas)

    rows = [
        ("to_mnist (canvas -> 28x28)", timings(lambda: to_mnist(canvas), args.repeats)),
        ("predict_proba (NumPy)", timings(lambda: classifier.predict_proba(x), args.repeats)),
        ("to_mnist + predict_proba", timings(lambda: classifier.predict_proba(to_mnist(canvas)[None]), args.repeats)),
        *(
            (
                f"to_mnist + predict_proba, {kind}",
                timings(lambda p=picture: classifier.predict_proba(to_mnist(p)[None]), args.repeats),
            )
            for kind, picture in opaque.items()
        ),
        (
            "keras_model(x) direct call",
            timings(lambda: classifier.keras_model(x, training=False), min(args.repeats, 100)),
        ),
        (
            "to_mnist + keras_model.predict",
            timings(lambda: classifier.keras_model.predict(to_mnist(canvas)[None], verbose=0), min(args.repeats, 50)),
        ),
    ]
    ours, keras_predict = np.median(rows[2][1]), np.median(rows[-1][1])
    print(f"model: {classifier.name} ({classifier.meta.arch.describe()}, {classifier.meta.params:,} params)")
    print(f"{'path':<38} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8}")
    for name, t in rows:
        print(f"{name:<38} {np.median(t):>8.3f} {np.percentile(t, 90):>8.3f} {np.percentile(t, 99):>8.3f}")
    print(f"speed-up of our path over keras predict (p50): {keras_predict / ours:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
