"""A training run's snapshots, for watching it learn and replaying it: one NumPy file beside the model.

    models/NAME.<id>.keras  ->  models/NAME.<id>.snapshots.npz      (sidecar_path)
    digest = snaps.save(path)            # atomic, like the model; the digest goes into the model's metadata
    snaps = Snapshots.load(path, digest) # SnapshotError (one sentence) when missing, damaged or altered

A point is taken before the first batch, after 1/8, 1/4 and 1/2 of the first epoch (when most of the
change happens) and at the end of every finished epoch. Each point holds a fixed set of first-layer
units' weights (float16), a fixed panel of test digits' probabilities, train/val metrics, and which of
a fixed subset of test digits were right (packed bits). Reading needs NumPy only.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from model.spec import IMAGE_SIDE, N_CLASSES, N_INPUTS

FORMAT_VERSION = 1
SUFFIX = ".snapshots.npz"
N_UNITS = 36  # first-layer units recorded: a 6x6 grid; 43 points x 36 x 784 float16 = 2.4 MB for 40 epochs
N_PANEL = 24  # test digits shown with the network's current guess
N_SUBSET = 1000  # test digits whose right/wrong is kept, for "learned this epoch"
EARLY = (1 / 8, 1 / 4, 1 / 2)  # fractions of the first epoch's batches after which a point is taken
PICK_SEED = 19  # the panel and subset are the same test digits for every model
METRICS = ("loss", "accuracy", "val_loss", "val_accuracy")  # columns of Snapshots.metrics; NaN when not measured


class SnapshotError(RuntimeError):
    """A snapshot file is missing, damaged or does not match its model; the message is one sentence."""


def sidecar_path(model_path: Path) -> Path:
    """models/NAME.<id>.keras -> models/NAME.<id>.snapshots.npz"""
    model_path = Path(model_path)
    return model_path.with_name(model_path.stem + SUFFIX)


def choose_units(n_units: int, k: int = N_UNITS) -> np.ndarray:
    """k first-layer units spread evenly over the layer (all of them when it has fewer)."""
    return np.unique(np.linspace(0, n_units - 1, min(k, n_units)).round().astype(np.int32))


def choose_digits(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Test-set indices of the panel (N_PANEL, every digit 2-3 times) and the subset (N_SUBSET), fixed by PICK_SEED."""
    order = np.random.default_rng(PICK_SEED).permutation(len(labels))
    by_digit = [order[labels[order] == d] for d in range(N_CLASSES)]
    rounds = -(-N_PANEL // N_CLASSES)
    panel = [int(by_digit[d][r]) for r in range(rounds) for d in range(N_CLASSES) if r < len(by_digit[d])][:N_PANEL]
    return np.array(panel, dtype=np.int32), np.sort(order[:N_SUBSET]).astype(np.int32)


@dataclass
class Snapshots:
    """S points of one run; the fixed units and digits first, then one row per point in every per-point array."""

    units: np.ndarray  # (K,) int32: which first-layer units
    panel_index: np.ndarray  # (P,) int32: MNIST test indices of the panel
    panel_images: np.ndarray  # (P, 28, 28) uint8
    panel_labels: np.ndarray  # (P,) uint8 true digits
    subset_index: np.ndarray  # (M,) int32: MNIST test indices of the subset
    subset_images: np.ndarray  # (M, 28, 28) uint8
    subset_labels: np.ndarray  # (M,) uint8
    batches: int  # batches per epoch
    epoch: np.ndarray  # (S,) int32: 1-based epoch the point is in
    batch: np.ndarray  # (S,) int32: batches done in that epoch (0 = before training, batches = epoch end)
    weights: np.ndarray  # (S, K, 784) float16: the units' incoming weights
    panel_proba: np.ndarray  # (S, P, 10) float16: the panel's class probabilities
    metrics: np.ndarray  # (S, 4) float32: METRICS; train figures are running means mid-epoch
    subset_right: np.ndarray  # (S, ceil(M / 8)) uint8: np.packbits of "subset digit was right"

    # --- what the views ask ---------------------------------------------------------------

    @property
    def points(self) -> int:
        return len(self.epoch)

    @property
    def epochs(self) -> list[int]:
        """The finished epochs, e.g. [1, 2, 3] (what `python -m model show` prints)."""
        return [int(e) for e, b in zip(self.epoch, self.batch) if b == self.batches]

    def position(self, i: int) -> float:
        """Epochs done at point i: 0.0 before training, 0.125 after an eighth of the first epoch, 3.0 after epoch 3."""
        return float(self.epoch[i] - 1 + self.batch[i] / self.batches)

    def point_of_epoch(self, epoch: int) -> int:
        """The point at the end of a finished epoch; ValueError if it was not recorded."""
        hits = np.flatnonzero((self.epoch == epoch) & (self.batch == self.batches))
        if not len(hits):
            raise ValueError(f"epoch {epoch} was not recorded.")
        return int(hits[0])

    def right(self, i: int) -> np.ndarray:
        """(M,) bool: which subset digits point i got right."""
        return np.unpackbits(self.subset_right[i], count=len(self.subset_labels)).astype(bool)

    def guesses(self, i: int) -> np.ndarray:
        """(P,) the panel's predicted digits at point i."""
        return self.panel_proba[i].argmax(axis=1)

    # --- building ------------------------------------------------------------------------------

    @classmethod
    def stack(cls, fixed: dict, batches: int, rows: list[dict]) -> Snapshots:
        """From the fixed arrays (units, panel_*, subset_*) and one dict per point (see training/snapshots.py)."""
        per_point = {
            name: np.stack([row[name] for row in rows])
            for name in ("epoch", "batch", "weights", "panel_proba", "metrics", "subset_right")
        }
        snaps = cls(**fixed, batches=batches, **per_point)
        snaps.validate()
        return snaps

    def validate(self) -> None:
        """SnapshotError unless every array has the dtype and shape the format says."""
        k, p, m, s = len(self.units), len(self.panel_index), len(self.subset_index), len(self.epoch)
        expected = {
            "units": ((k,), np.int32),
            "panel_index": ((p,), np.int32),
            "panel_images": ((p, IMAGE_SIDE, IMAGE_SIDE), np.uint8),
            "panel_labels": ((p,), np.uint8),
            "subset_index": ((m,), np.int32),
            "subset_images": ((m, IMAGE_SIDE, IMAGE_SIDE), np.uint8),
            "subset_labels": ((m,), np.uint8),
            "epoch": ((s,), np.int32),
            "batch": ((s,), np.int32),
            "weights": ((s, k, N_INPUTS), np.float16),
            "panel_proba": ((s, p, N_CLASSES), np.float16),
            "metrics": ((s, len(METRICS)), np.float32),
            "subset_right": ((s, -(-m // 8)), np.uint8),
        }
        for name, (shape, dtype) in expected.items():
            array = getattr(self, name)
            if not isinstance(array, np.ndarray) or array.shape != shape or array.dtype != dtype:
                raise SnapshotError(f"the snapshots' {name} array has the wrong shape or type.")
        if not (s and k and int(self.batches) >= 1 and np.all(self.batch <= self.batches)):
            raise SnapshotError("the snapshots hold no usable points.")

    # --- the file ------------------------------------------------------------------------------

    def save(self, path: Path) -> str:
        """Write to `path` atomically (temporary name + rename); returns the file's SHA-256."""
        self.validate()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".saving-", suffix=SUFFIX, dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                arrays = {f_.name: getattr(self, f_.name) for f_ in fields(self)}
                np.savez_compressed(f, version=np.int32(FORMAT_VERSION), **arrays)
                f.flush()
                os.fsync(f.fileno())
            digest = _sha256(tmp)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    @classmethod
    def load(cls, path: Path, sha256: str | None = None) -> Snapshots:
        """Read a sidecar; with `sha256`, refuse one that is not the file the model was saved with."""
        path = Path(path)
        if not path.is_file():
            raise SnapshotError(f"the snapshot file {path.name} is missing.")
        if sha256 is not None and _sha256(path) != sha256:
            raise SnapshotError(f"the snapshot file {path.name} is damaged (checksum mismatch).")
        try:
            with np.load(path, allow_pickle=False) as data:
                if int(data["version"]) != FORMAT_VERSION:
                    raise SnapshotError(
                        f"the snapshot file {path.name} has format {int(data['version'])}, not {FORMAT_VERSION}."
                    )
                values = {f.name: data[f.name] for f in fields(cls)}
        except SnapshotError:
            raise
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile, zlib.error):
            raise SnapshotError(f"the snapshot file {path.name} is damaged or not a Digit Lab snapshot file.") from None
        values["batches"] = int(values["batches"])
        snaps = cls(**values)
        snaps.validate()
        return snaps


def _sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# --- live events: one point as a JSON-friendly dict, from the training child to the Train page ---------


def point_event(snaps_fixed: dict, row: dict, batches: int, first: bool) -> dict:
    """The `snapshot` event `python -m training fit --json` prints; the panel's images ride along on the first."""
    event = {
        "epoch": int(row["epoch"]),
        "batch": int(row["batch"]),
        "batches": int(batches),
        "units": len(snaps_fixed["units"]),
        "weights": _b64(row["weights"]),
        "guesses": row["panel_proba"].argmax(axis=1).tolist(),
        "subset_accuracy": float(np.unpackbits(row["subset_right"], count=len(snaps_fixed["subset_labels"])).mean()),
    }
    if first:
        event["panel_images"] = _b64(snaps_fixed["panel_images"])
        event["panel_labels"] = snaps_fixed["panel_labels"].tolist()
    return event


def event_weights(event: dict) -> np.ndarray:
    """(K, 784) float16 weights of a `snapshot` event."""
    return np.frombuffer(base64.b64decode(event["weights"]), dtype=np.float16).reshape(event["units"], N_INPUTS)


def event_panel_images(event: dict) -> np.ndarray:
    """(P, 28, 28) uint8 panel images of the first `snapshot` event."""
    return np.frombuffer(base64.b64decode(event["panel_images"]), dtype=np.uint8).reshape(-1, IMAGE_SIDE, IMAGE_SIDE)


def _b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


def replay_of(model_path: Path, replay: dict) -> Snapshots | None:
    """The snapshots a model's metadata (`ModelMeta.replay`) points to; None when none were recorded
    (older models, --no-snapshots), SnapshotError when the sidecar is missing or damaged."""
    if not replay:
        return None
    return Snapshots.load(sidecar_path(model_path), replay.get("sha256"))
