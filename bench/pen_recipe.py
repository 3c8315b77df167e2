"""Short training runs that settle the pen-data recipe, scored only on sets that may be tuned on.

    .venv/bin/python -m bench.pen_recipe VARIANT [VARIANT ...] [--epochs 5] [--hidden 1024,1024] [--dropout 0.2]

Each variant trains a fresh network for a few epochs (the bundled recipe's settings otherwise) on MNIST and
on pendigits training rows 1-6,000, then is scored on what may guide a choice:
  mnist val:  the best epoch's accuracy on the 5% of MNIST's training split held out (not the test set),
  pen val:    pendigits training rows 6,001-7,494 (a block of the 30 training writers trained on by no variant),
              drawn as 280x280 canvases through to_mnist like bench/holdout.py draws the test writers,
  drawn / recorded: bench/style_grid.py's 20 styles, 30 writings each (mean, and the worst drawn style),
  optdigits:  bench/pen_proxy.py --source optdigits (scikit-learn's scans, recorded the pendigits way).
The 14 test writers and semeion are never read here. Results go to stdout, one line per variant.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import sys
import time

import numpy as np

from bench.holdout_data import draw_trajectory
from bench.pen_proxy import optdigits, trajectories
from bench.style_grid import STYLES, canvases
from model import to_mnist
from model.spec import ArchSpec, parse_hidden
from training.config import TrainConfig
from training.data import load_mnist
from training.pen import PenConfig, draw_pen
from training.pendigits import PenDataConfig, draw_pendigits, load_pendigits

TRAIN_ROWS = 6000  # pendigits rows trained on; the rest of the 7,494 validate
BASE = dict(
    optimizer="adam", learning_rate=1e-3, batch_size=128, validation_split=0.05, schedule="cosine", augment=True, seed=0
)
# name -> (TrainConfig overrides, PenConfig overrides, PenDataConfig overrides)
VARIANTS: dict[str, tuple[dict, dict, dict]] = {
    "sq50-nostrokes": (dict(pen_data=0.2), {}, dict(stretched=0.5)),
    "sq100-nostrokes": (dict(pen_data=0.2), {}, dict(stretched=1.0)),
    "data30-sq50-nostrokes": (dict(pen_data=0.3), {}, dict(stretched=0.5)),
    "sq50-strokes-kept": (dict(pen_strokes=0.3, pen_data=0.2), {}, dict(stretched=0.5)),
    "sq50-strokes-plain": (dict(pen_strokes=0.3, pen_data=0.2), dict(styled=0.0), dict(stretched=0.5)),
    "data30-strokes15": (dict(pen_strokes=0.15, pen_data=0.3), {}, {}),  # the bundled recipe's choice
    "data30-strokes30": (dict(pen_strokes=0.3, pen_data=0.3), {}, {}),
}


@functools.lru_cache(maxsize=1)
def validation_sets() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """name -> (inputs (n, 28, 28), labels): the pen block, optdigits recorded, and each style drawn and recorded."""
    rng = np.random.default_rng(0)
    strokes, labels = load_pendigits()
    sets = {
        "pen val": (np.stack([to_mnist(draw_trajectory(s, rng)) for s in strokes[TRAIN_ROWS:]]), labels[TRAIN_ROWS:])
    }
    images, digits = optdigits()
    sets["optdigits"] = (
        np.stack([to_mnist(draw_trajectory(t, rng)) for t in trajectories(images, digits, rng, 0.0)]),
        digits,
    )
    for digit, styles in STYLES.items():
        for name, style in styles.items():
            drawn, recorded = canvases(style, 30, rng)
            sets[f"drawn {digit} {name}"] = (drawn, np.full(30, digit))
            sets[f"recorded {digit} {name}"] = (recorded, np.full(30, digit))
    return sets


def run(name: str, epochs: int, hidden: tuple[int, ...], dropout: float) -> str:
    import training.loop as loop
    from model.inference import Classifier
    from model.store import ModelMeta

    overrides, pen_cfg, data_cfg = VARIANTS[name]
    cfg = TrainConfig(**BASE, epochs=epochs, **overrides)
    arch = ArchSpec.simple(hidden, "relu", dropout)
    loop.draw_pen = functools.partial(draw_pen, cfg=dataclasses.replace(PenConfig(), **pen_cfg))
    loop.draw_pendigits = functools.partial(draw_pendigits, cfg=dataclasses.replace(PenDataConfig(), **data_cfg))
    (x, y), _ = load_mnist()
    strokes, labels = load_pendigits()
    result = loop.fit(arch, cfg, x, y, pen=(strokes[:TRAIN_ROWS], labels[:TRAIN_ROWS]))
    classifier = Classifier.from_keras(result.keras_model, ModelMeta(name=name, arch=arch))
    scores = {
        k: float(np.mean(classifier.predict_proba(inputs).argmax(axis=1) == truth))
        for k, (inputs, truth) in validation_sets().items()
    }
    drawn = [v for k, v in scores.items() if k.startswith("drawn")]
    recorded = [v for k, v in scores.items() if k.startswith("recorded")]
    worst = min((k for k in scores if k.startswith("drawn")), key=scores.get)
    val = max(e.val_accuracy for e in result.history)
    return (
        f"{name:<22} mnist val {val:.2%}  pen val {scores['pen val']:.2%}  drawn {np.mean(drawn):.1%} "
        f"(worst {worst[6:]} {scores[worst]:.0%})  recorded {np.mean(recorded):.1%}  optdigits {scores['optdigits']:.1%}  "
        f"fit {result.train_seconds:.0f} s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="+", choices=sorted(VARIANTS))
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--hidden", default="1024,1024")
    parser.add_argument("--dropout", type=float, default=0.2, help="after each hidden layer (the bundled model's 0.2)")
    args = parser.parse_args()
    from model.console import quiet_tensorflow

    quiet_tensorflow()
    start = time.perf_counter()
    validation_sets()
    print(
        f"validation sets drawn in {time.perf_counter() - start:.0f} s; {args.epochs} epochs of {args.hidden}, "
        f"dropout {args.dropout}",
        flush=True,
    )
    for name in args.variants:
        print(run(name, args.epochs, parse_hidden(args.hidden), args.dropout), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
