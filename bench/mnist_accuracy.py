"""MNIST test accuracy of a model (default: the bundled default), with per-digit recall and timing.

.venv/bin/python -m bench.mnist_accuracy [--model NAME]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from model import Classifier
from training.data import load_mnist
from training.evaluate import evaluate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    args = parser.parse_args()
    classifier = Classifier.load(args.model)
    _, (x_test, y_test) = load_mnist()
    start = time.perf_counter()
    result = evaluate(classifier.predict_proba(x_test.astype(np.float32) / 255), y_test)
    seconds = time.perf_counter() - start
    meta = classifier.meta
    print(
        f"model: {classifier.name} ({meta.arch.describe()}, {meta.params:,} params, "
        f"file {classifier.path.stat().st_size / 2**20:.1f} MiB)"
    )
    if meta.train:
        t = meta.train
        print(
            f"trained: {t.get('epochs')} epochs, {t.get('optimizer')} lr {t.get('learning_rate')} "
            f"{t.get('schedule')}, batch {t.get('batch_size')}, augment={t.get('augment')}, pen strokes {t.get('pen_strokes', 0.0):.0%}, "
            f"fit time {meta.train_seconds:.0f} s"
        )
    print(
        f"MNIST test accuracy: {result.accuracy:.2%} ({int((result.predicted != result.labels).sum())} errors "
        f"of {len(y_test)}), loss {result.loss:.4f}; evaluation took {seconds * 1000:.0f} ms"
    )
    print("digit  " + "  ".join(f"{d:>5}" for d in range(10)))
    print("recall " + "  ".join(f"{row['recall']:>5.3f}" for row in result.per_class))
    return 0


if __name__ == "__main__":
    sys.exit(main())
