"""What recording snapshots costs (model/snapshots.py, training/snapshots.py), and how fast the replay moves.

    .venv/bin/python -m bench.snapshots [--repeats 3] [--skip-fit]

1. The seeds' network, 784-128-64-10, 5 epochs on all of MNIST through `python -m training fit` (batch 512,
   learning rate 2e-3: the CLI's defaults, its fastest recipe, so the points weigh the most), each run in
   a fresh process, with and without `--no-snapshots`, alternating; medians of the fit time compared.
   The same run in this process with the recorder's own time measured around each point (the JSON event
   the Train page reads included): the overhead without the noise of comparing two fits.
2. The bundled recipe (its settings read from model/bundled/default.keras): one point's cost on its
   784-1024-1024-10 network, times the 44 points of 40 epochs, against its recorded fit time.
3. The sidecar's size for that recipe, and the replay's step from one point to the next on the server: every
   step of the slider in an AppTest of ui/inside/replay.py over such a sidecar, first visits and cached.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.training_speed import bundled_recipe, cli_fit
from model.snapshots import EARLY, Snapshots, choose_units, sidecar_path
from training.snapshots import SnapshotRecorder

SEEDS = [
    "--hidden",
    "128,64",
    "--epochs",
    "5",
    "--batch-size",
    "512",
    "--lr",
    "2e-3",
    "--seed",
    "0",
]  # the CLI's fast defaults


def fit_overhead(repeats: int) -> None:
    runs = {"with snapshots": [], "--no-snapshots": []}
    for _ in range(repeats):  # alternate, so a busy moment on the shared machine hits both
        for label, extra in (("with snapshots", []), ("--no-snapshots", ["--no-snapshots"])):
            runs[label].append(cli_fit(SEEDS + extra)[0])
    on, off = (statistics.median(runs[k]) for k in ("with snapshots", "--no-snapshots"))
    print("| 784-128-64-10, 5 epochs, CLI | fit seconds (median) | runs |")
    print("|---|---|---|")
    for label, seconds in runs.items():
        print(f"| {label} | {statistics.median(seconds):.2f} | {', '.join(f'{s:.2f}' for s in seconds)} |")
    print(f"\nDifference of medians: {on - off:+.2f} s ({(on - off) / off:+.1%} of the fit without snapshots).\n")


class TimedRecorder(SnapshotRecorder):
    """The recorder, adding up the seconds spent taking each point."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seconds: list[float] = []

    def _take(self, *args) -> None:
        start = time.perf_counter()
        super()._take(*args)
        self.seconds.append(time.perf_counter() - start)


def in_process_overhead() -> None:
    from model.spec import ArchSpec
    from training.config import TrainConfig
    from training.data import load_mnist
    from training.loop import Callbacks, fit

    (x, y), (xt, yt) = load_mnist()
    recorder = TimedRecorder(xt, yt, on_snapshot=lambda event: json.dumps(event))
    cfg = TrainConfig(epochs=5, batch_size=512, learning_rate=2e-3)  # as SEEDS
    result = fit(ArchSpec.simple([128, 64]), cfg, x, y, Callbacks(keras=[recorder]))
    spent = sum(recorder.seconds)
    print("| 784-128-64-10, 5 epochs, in process | value |")
    print("|---|---|")
    print(f"| fit seconds | {result.train_seconds:.2f} |")
    print(f"| points taken | {len(recorder.seconds)} |")
    print(f"| seconds taking them (median point) | {spent:.3f} ({statistics.median(recorder.seconds) * 1e3:.1f} ms) |")
    print(f"| share of the fit | {spent / result.train_seconds:.2%} |\n")


def bundled_overhead(rounds: int = 5, batches: int = 20) -> None:
    """One point on the bundled network against its own training steps, taking turns in this process (the
    shared machine's load hits both alike); an epoch is extrapolated from the steps. Fresh weights: a point's
    cost does not depend on their values."""
    import keras

    from model.network import build_model
    from model.registry import BUNDLED_PATH
    from model.store import read_meta
    from training.data import load_mnist

    meta = read_meta(BUNDLED_PATH)
    (x, y), (xt, yt) = load_mnist()
    steps = -(-round(len(x) * (1 - meta.train["validation_split"])) // meta.train["batch_size"])
    model = build_model(meta.arch, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(), loss="categorical_crossentropy")
    xb = x[: meta.train["batch_size"]].astype(np.float32) / 255
    yb = np.eye(10, dtype=np.float32)[y[: meta.train["batch_size"]]]
    model.train_on_batch(xb, yb)  # compile the step
    recorder = TimedRecorder(xt, yt, on_snapshot=lambda event: json.dumps(event))
    recorder.set_model(model)
    recorder.set_params({"steps": steps, "epochs": meta.train["epochs"], "verbose": 0})
    recorder.on_train_begin()
    recorder.seconds.clear()
    step_seconds = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(batches):
            model.train_on_batch(xb, yb)
        step_seconds.append((time.perf_counter() - start) / batches)
        recorder._take(1, steps, {})
    point, step = statistics.median(recorder.seconds), statistics.median(step_seconds)
    epochs, epoch = meta.train["epochs"], step * steps
    points = len(EARLY) + 1 + epochs
    print(f"| bundled recipe: {meta.arch.describe()}, {epochs} epochs of {steps} batches | value |")
    print("|---|---|")
    print(f"| flags | `{' '.join(bundled_recipe())}` |")
    print(f"| one point (median of {rounds}) | {point * 1e3:.1f} ms |")
    print(f"| one training step, taking turns with the points (median) | {step * 1e3:.1f} ms: {epoch:.1f} s an epoch |")
    print(f"| per-epoch overhead against those steps | {point / epoch:.2%} |")
    print(
        f"| the run in its file: {meta.train_seconds:.0f} s, {meta.train_seconds / epochs:.1f} s an epoch "
        f"(augmentation included) | {points} points: {points * point / meta.train_seconds:.2%} of it |\n"
    )


def bundled_size_snapshots() -> Snapshots:
    """44 points of a 1024-unit first layer (the bundled recipe's 40 epochs) with the real panel and subset;
    random float16 weights: the incompressible case for the file, the slowest to draw as PNG."""
    from model.snapshots import N_UNITS, choose_digits
    from training.data import load_mnist

    _, (xt, yt) = load_mnist()
    panel, subset = choose_digits(yt)
    rng = np.random.default_rng(0)
    s = 44
    return Snapshots(
        units=choose_units(1024),
        panel_index=panel,
        panel_images=xt[panel],
        panel_labels=yt[panel].astype(np.uint8),
        subset_index=subset,
        subset_images=xt[subset],
        subset_labels=yt[subset].astype(np.uint8),
        batches=446,
        epoch=np.r_[1, 1, 1, 1, 1:41].astype(np.int32),
        batch=np.r_[0, 56, 112, 223, [446] * 40].astype(np.int32),
        weights=rng.normal(0, 0.05, (s, N_UNITS, 784)).astype(np.float16),
        panel_proba=rng.dirichlet(np.ones(10), (s, len(panel))).astype(np.float16),
        metrics=rng.random((s, 4)).astype(np.float32),
        subset_right=rng.integers(0, 256, (s, 125), dtype=np.uint8),
    )


def sidecar_size(folder: Path) -> tuple[Path, str]:
    path = folder / "bundled-size.keras"
    digest = bundled_size_snapshots().save(sidecar_path(path))
    size = sidecar_path(path).stat().st_size
    print(
        f"Sidecar for 40 epochs of a 1024-unit first layer ({len(choose_units(1024))} units, random float16 weights: "
        f"the incompressible case): {size / 1e6:.2f} MB (limit 5 MB).\n"
    )
    return path, digest


def _replay_script(path: str, digest: str) -> None:
    """The view as the Inside page runs it, timed from inside the script run (what the server spends)."""
    import time
    from types import SimpleNamespace

    import streamlit as st

    from ui.inside.replay import replay_ui

    start = time.perf_counter()
    meta = SimpleNamespace(name="bundled-size", replay={"sha256": digest, "epochs": list(range(1, 41))})
    replay_ui(SimpleNamespace(path=path, name="bundled-size", meta=meta))
    st.session_state.bench_seconds = time.perf_counter() - start


def replay_steps(path: Path, digest: str) -> None:
    """Every step of the slider in an AppTest of the view: the server's time is the script run (the page
    reruns only the replay's fragment, so a whole-view run is an upper bound); AppTest's own round trip,
    which adds building its element tree, is shown beside it. First visits make the point's pictures."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_replay_script, args=(str(path), digest), default_timeout=60).run()
    timings = {"first visit to each point": ([], []), "back again (cached)": ([], [])}
    for server, round_trip in timings.values():
        for i in range(44):
            at.select_slider(key="replay_point").set_value(i)
            start = time.perf_counter()
            at.run()
            round_trip.append(time.perf_counter() - start)
            assert not at.exception, at.exception
            server.append(at.session_state.bench_seconds)
    print("| replay, 44 points, one slider step | server: median | server: slowest | AppTest round trip: median |")
    print("|---|---|---|---|")
    for label, (server, round_trip) in timings.items():
        print(
            f"| {label} | {statistics.median(server) * 1e3:.0f} ms | {max(server) * 1e3:.0f} ms "
            f"| {statistics.median(round_trip) * 1e3:.0f} ms |"
        )
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="CLI fits per setting")
    parser.add_argument("--skip-fit", action="store_true", help="skip the CLI fits (the slow part)")
    args = parser.parse_args()
    if not args.skip_fit:
        fit_overhead(args.repeats)
    in_process_overhead()
    bundled_overhead()
    with tempfile.TemporaryDirectory() as folder:
        replay_steps(*sidecar_size(Path(folder)))


if __name__ == "__main__":
    main()
