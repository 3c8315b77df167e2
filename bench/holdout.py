"""Accuracy on handwriting from writers who are not in MNIST, drawn as 280x280 canvases.

    .venv/bin/python -m bench.holdout [--model NAME] [--seed 0] [--naive] [--save-examples DIR]

pendigits means its 14 test writers only (rows 7,495 on; the 30 others are trained on), semeion all of it,
load_digits scikit-learn's 1,797 8x8 scans (enlarged like semeion's; a stand-in to compare models, never trained on).
Every sample goes canvas -> to_mnist -> Classifier.predict_proba, the exact path a drawing
takes. `--naive` also shows what plain resizing of the whole canvas to 28x28 would give.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from bench.holdout_data import draw_bitmap, draw_trajectory, pendigits, semeion
from model import Classifier, to_mnist
from training.evaluate import evaluate


def canvases(name: str, rng: np.random.Generator):
    if name == "pendigits":
        samples, labels = pendigits()
        return (draw_trajectory(s, rng) for s in samples), labels
    if name == "load_digits":  # scikit-learn's 1,797 8x8 scans (ink counts 0..16): a stand-in, never trained on
        from sklearn.datasets import load_digits

        digits = load_digits()
        return (draw_bitmap(s / 16, rng, Image.Resampling.BICUBIC) for s in digits.images), digits.target
    samples, labels = semeion()
    return (draw_bitmap(s, rng) for s in samples), labels


def naive(canvas: np.ndarray) -> np.ndarray:
    """What a careless app does: shrink the whole canvas to 28x28."""
    return np.asarray(Image.fromarray(canvas[:, :, 3]).resize((28, 28), Image.Resampling.BILINEAR), np.float32) / 255


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="registry name (default: the active model)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--naive", action="store_true", help="also measure naive whole-canvas resizing")
    parser.add_argument("--save-examples", type=Path, help="write a PNG grid of drawn canvases and inputs here")
    args = parser.parse_args()

    classifier = Classifier.load(args.model)
    print(f"model: {classifier.name} ({classifier.meta.arch.describe()})")
    print(f"{'set':<10} {'n':>6} {'accuracy':>9} {'naive':>7} {'worst digit (recall)':>22} {'seconds':>8}")
    for name in ("pendigits", "semeion", "load_digits"):
        rng = np.random.default_rng(args.seed)
        start = time.perf_counter()
        drawn, labels = canvases(name, rng)
        inputs, naive_inputs, examples = [], [], []
        for i, canvas in enumerate(drawn):
            inputs.append(to_mnist(canvas))
            if args.naive:
                naive_inputs.append(naive(canvas))
            if args.save_examples and i < 12:
                examples.append((canvas[:, :, 3], inputs[-1]))
        result = evaluate(classifier.predict_proba(np.stack(inputs)), labels)
        naive_acc = (
            f"{evaluate(classifier.predict_proba(np.stack(naive_inputs)), labels).accuracy:.2%}" if args.naive else "-"
        )
        worst = min(result.per_class, key=lambda r: r["recall"])
        print(
            f"{name:<10} {len(labels):>6} {result.accuracy:>9.2%} {naive_acc:>7} "
            f"{worst['digit']:>14} ({worst['recall']:.2%}) {time.perf_counter() - start:>8.1f}"
        )
        if args.save_examples:
            _save_examples(args.save_examples / f"{name}.png", examples)
    return 0


def _save_examples(path: Path, examples) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tiles = [
        np.concatenate(
            [np.asarray(Image.fromarray(c).resize((112, 112))), (x * 255).astype(np.uint8).repeat(4, 0).repeat(4, 1)], 0
        )
        for c, x in examples
    ]
    Image.fromarray(np.concatenate(tiles, 1)).save(path)


if __name__ == "__main__":
    sys.exit(main())
