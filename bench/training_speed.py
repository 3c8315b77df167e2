"""Training speed: our `python -m training fit` vs the original notebooks' recipe, same network.

    .venv/bin/python -m bench.training_speed [--epochs 5] [--repeats 3]
    .venv/bin/python -m bench.training_speed --defaults   # ours = the short command, CLI defaults only
    .venv/bin/python -m bench.training_speed --bundled

The notebooks' recipe: 784-128-64-10 ReLU, plain Keras `model.fit` on the whole arrays, Adam,
default batch size 32, 5 epochs. Ours: the same network, the same 60,000 images (no validation
split) and 5 epochs through the CLI, with batch 512 and learning rate 2e-3: on a CPU a step's fixed
cost dominates a small dense net, so 16x fewer, larger steps do the same epochs several times
faster (fit time only, as the CLI reports it). Each recipe runs in a fresh process, alternating, and
the medians are compared; both report MNIST test accuracy. `--bundled` instead retrains the bundled
default from the recipe stored in its own metadata and reports its fit time (~10 min).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def notebook_recipe(epochs: int) -> tuple[float, float]:
    """The notebooks' code path, timed around model.fit only."""
    import keras

    from training.data import load_mnist

    (x, y), (xt, yt) = load_mnist()
    x, xt = x.astype("float32") / 255, xt.astype("float32") / 255
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x, y, epochs=epochs, verbose=0)
    seconds = time.perf_counter() - start
    accuracy = float((model.predict(xt, verbose=0).argmax(1) == yt).mean())
    return seconds, accuracy


def cli_fit(args: list[str]) -> tuple[float, float, float]:
    """`python -m training fit ARGS` in a fresh process and data dir; returns (fit seconds, accuracy, wall seconds)."""
    with tempfile.TemporaryDirectory() as home:
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-m", "training", "fit", *args, "--name", "speed", "--json"],
            cwd=REPO,
            env={**os.environ, "DIGITLAB_HOME": home},
            capture_output=True,
            text=True,
            check=True,
        )
        wall = time.perf_counter() - start
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return result["train_seconds"], result["accuracy"], wall


def short_command(epochs: int) -> tuple[float, float, float]:
    """`python -m training fit --hidden 128,64 --epochs N`: what a user types, every other setting the CLI's default."""
    return cli_fit(["--hidden", "128,64", "--epochs", str(epochs)])


def ours(epochs: int, batch_size: int, lr: float) -> tuple[float, float, float]:
    return cli_fit(
        [
            "--hidden",
            "128,64",
            "--activation",
            "relu",
            "--optimizer",
            "adam",
            "--lr",
            str(lr),
            "--batch-size",
            str(batch_size),
            "--epochs",
            str(epochs),
            "--val-split",
            "0",
            "--seed",
            "0",
        ]
    )


def bundled_recipe() -> list[str]:
    """The CLI flags that reproduce the bundled default, read from the metadata inside its file."""
    from model.registry import BUNDLED_PATH
    from model.store import read_meta

    meta = read_meta(BUNDLED_PATH)
    t, layers = meta.train, meta.arch.hidden
    args = [
        "--hidden",
        ",".join(str(layer.units) for layer in layers) or "none",
        "--activation",
        layers[0].activation if layers else "relu",
        "--dropout",
        str(layers[0].dropout if layers else 0),
        "--optimizer",
        t["optimizer"],
        "--lr",
        str(t["learning_rate"]),
        "--batch-size",
        str(t["batch_size"]),
        "--epochs",
        str(t["epochs"]),
        "--val-split",
        str(t["validation_split"]),
        "--schedule",
        t["schedule"],
        "--seed",
        str(t["seed"]),
        "--pen-strokes",
        str(t.get("pen_strokes", 0.0)),
        "--pen-data",
        str(t.get("pen_data", 0.0)),
    ]
    return args + (["--augment"] if t["augment"] else [])


def notebook_fresh(epochs: int) -> tuple[float, float]:
    """The notebooks' recipe in a fresh process, as cold as our CLI's: (fit seconds, accuracy)."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.training_speed", "--notebook-once", "--epochs", str(epochs)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    return result["seconds"], result["accuracy"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each recipe, alternating; medians are compared")
    parser.add_argument("--bundled", action="store_true", help="time the bundled default's recipe instead (~10 min)")
    parser.add_argument(
        "--defaults",
        action="store_true",
        help="ours is the short command with the CLI's defaults (validation split included)",
    )
    parser.add_argument("--notebook-once", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.notebook_once:
        seconds, accuracy = notebook_recipe(args.epochs)
        print(json.dumps({"seconds": seconds, "accuracy": accuracy}))
        return 0
    if args.bundled:
        recipe = bundled_recipe()
        fit_s, acc, wall = cli_fit(recipe)
        print(f"bundled default's recipe: python -m training fit {' '.join(recipe)}")
        print(f"fit {fit_s:.0f} s ({fit_s / 60:.1f} min), whole command {wall:.0f} s, MNIST test accuracy {acc:.2%}")
        return 0

    mine_run = (
        (lambda: short_command(args.epochs)) if args.defaults else (lambda: ours(args.epochs, args.batch_size, args.lr))
    )
    runs = [(notebook_fresh(args.epochs), mine_run()) for _ in range(args.repeats)]
    base = np.array([b for b, _ in runs])  # (repeats, 2): seconds, accuracy
    mine = np.array([o[:2] for _, o in runs])
    wall = np.median([o[2] for _, o in runs])
    print(f"784-128-64-10 ReLU + Adam, {args.epochs} epochs, each recipe {args.repeats}x in a fresh process")
    print(f"{'recipe':<44} {'fit s (each run)':>24} {'median':>7} {'test acc':>9}")
    ours_name = (
        f"fit --hidden 128,64 --epochs {args.epochs} (defaults)"
        if args.defaults
        else f"python -m training fit, batch {args.batch_size}, lr {args.lr:g}"
    )
    for name, r in (("notebooks: plain Keras fit, batch 32", base), (ours_name, mine)):
        each = " ".join(f"{t:5.1f}" for t in r[:, 0])
        print(f"{name:<44} {each:>24} {np.median(r[:, 0]):>7.1f} {np.median(r[:, 1]):>9.2%}")
    print(
        f"speed-up (median fit time): {np.median(base[:, 0]) / np.median(mine[:, 0]):.1f}x; "
        f"our whole command incl. start-up, data, evaluation, save: {wall:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
