"""The Errors page's costs: evaluating a model on the 10,000 MNIST test images, and what a click costs.

    .venv/bin/python -m bench.errors_eval [--model NAME] [--repeats 5]

The evaluation (NumPy predict_proba in batches + metrics) runs once per model file and dataset,
then is cached; clicking a cell only runs cell_samples on the cached arrays.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from model import Classifier
from training import confusion


def median_ms(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1000)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    classifier = Classifier.load(args.model)
    data = confusion.mnist_test()
    x = data.x.astype(np.float32) / 255
    ev = confusion.evaluate_on(classifier, data)
    t, p = np.unravel_index((ev.confusion * (1 - np.eye(10, dtype=int))).argmax(), (10, 10))
    rows = [
        ("predict_proba, 10,000 images in one call", median_ms(lambda: classifier.predict_proba(x), args.repeats)),
        (
            "evaluate_on (batches of 2,500 + metrics)",
            median_ms(lambda: confusion.evaluate_on(classifier, data), args.repeats),
        ),
        (f"cell_samples (true {t}, predicted {p})", median_ms(lambda: confusion.cell_samples(ev, t, p), 50)),
        ("mistakes (all, sorted)", median_ms(lambda: confusion.mistakes(ev), 50)),
        ("compare (model with itself)", median_ms(lambda: confusion.compare(ev, ev), 50)),
        ("error CSV", median_ms(lambda: confusion.to_csv(confusion.error_rows(ev, data.ids)), 20)),
    ]
    print(
        f"model {classifier.name} ({classifier.meta.arch.describe()}), accuracy {ev.accuracy:.2%}, {len(data):,} images"
    )
    for name, ms in rows:
        print(f"  {name:<45} {ms:8.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
