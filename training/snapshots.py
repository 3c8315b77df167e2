"""The Keras callback that records a run's snapshots (model/snapshots.py has the format).

    recorder = SnapshotRecorder(x_test, y_test, on_snapshot=print_event)
    fit(arch, cfg, x, y, Callbacks(keras=[recorder]))
    snaps = recorder.result()      # Snapshots of the points taken, or None before the first epoch ended

Points are taken before the first batch, after 1/8, 1/4 and 1/2 of the first epoch, and at the end of
every finished epoch (a stopped run's cut-short epoch is left out). Each point copies the weights once
and runs the panel and subset through a NumPy forward pass: nothing is done per batch in between.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import keras
import numpy as np

from model.inference import ACTIVATIONS, softmax
from model.snapshots import EARLY, Snapshots, choose_digits, choose_units, point_event
from model.spec import N_INPUTS


class SnapshotRecorder(keras.callbacks.Callback):
    def __init__(self, x_test: np.ndarray, y_test: np.ndarray, on_snapshot: Callable[[dict], None] | None = None):
        """x_test (n, 28, 28) uint8, y_test (n,): the panel and subset are picked from them (model.snapshots)."""
        super().__init__()
        panel, subset = choose_digits(y_test)
        self.fixed = {
            "units": None,
            "panel_index": panel,
            "panel_images": x_test[panel],
            "panel_labels": y_test[panel].astype(np.uint8),
            "subset_index": subset,
            "subset_images": x_test[subset],
            "subset_labels": y_test[subset].astype(np.uint8),
        }
        # panel then subset, (P + M, 784) float32 in [0, 1]: one forward pass serves both
        self.x = np.concatenate([x_test[panel], x_test[subset]]).reshape(-1, N_INPUTS).astype(np.float32) / 255
        self.on_snapshot = on_snapshot
        self.rows: list[dict] = []
        self.steps = 0  # batches per epoch, known once training begins
        self.early: set[int] = set()  # first-epoch batch counts after which a point is taken
        self.epoch = 1
        self.seen = 0  # batches done in the current epoch

    def on_train_begin(self, logs=None):
        if self.fixed["units"] is not None:  # the augmented loop calls fit once per epoch
            return
        self.steps = int(self.params["steps"])
        self.early = {max(1, round(self.steps * f)) for f in EARLY} - {self.steps}
        self.activations = [
            layer.get_config()["activation"] for layer in self.model.layers if layer.__class__.__name__ == "Dense"
        ]
        self.fixed["units"] = choose_units(self.model.get_weights()[0].shape[1])
        self._take(1, 0, {})

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch, self.seen = epoch + 1, 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen = batch + 1
        if self.epoch == 1 and self.seen in self.early:
            self._take(1, self.seen, logs or {})

    def on_epoch_end(self, epoch, logs=None):
        if self.seen == self.steps:  # a stopped run's last epoch ends early: not a finished epoch
            self._take(epoch + 1, self.steps, logs or {})

    def result(self) -> Snapshots | None:
        """Everything recorded, or None when no epoch finished (nothing worth replaying)."""
        if not any(row["batch"] == self.steps for row in self.rows):
            return None
        return Snapshots.stack(self.fixed, self.steps, self.rows)

    def _take(self, epoch: int, batch: int, logs: dict) -> None:
        weights = self.model.get_weights()  # [kernel0, bias0, kernel1, bias1, ...]: Dense layers only
        proba = self._forward(weights)
        n_panel = len(self.fixed["panel_index"])
        right = proba[n_panel:].argmax(axis=1) == self.fixed["subset_labels"]
        row = {
            "epoch": np.int32(epoch),
            "batch": np.int32(batch),
            "weights": weights[0][:, self.fixed["units"]].T.astype(np.float16),  # (784, K) -> (K, 784)
            "panel_proba": proba[:n_panel].astype(np.float16),
            "metrics": np.array(
                [_number(logs.get(k)) for k in ("loss", "accuracy", "val_loss", "val_accuracy")], dtype=np.float32
            ),
            "subset_right": np.packbits(right),
        }
        self.rows.append(row)
        if self.on_snapshot is not None:
            self.on_snapshot(point_event(self.fixed, row, self.steps, first=len(self.rows) == 1))

    def _forward(self, weights: list[np.ndarray]) -> np.ndarray:
        """(P + M, 784) -> (P + M, 10) probabilities, as model.inference computes them (no dropout)."""
        h = self.x
        kernels, biases = weights[0::2], weights[1::2]
        for kernel, bias, activation in zip(kernels[:-1], biases[:-1], self.activations[:-1]):
            h = ACTIVATIONS[activation][0](h @ kernel + bias)
        return softmax(h @ kernels[-1] + biases[-1])


def _number(value) -> float:
    return math.nan if value is None else float(value)
