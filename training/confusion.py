"""Error analysis on top of `training.evaluate`: which images sit behind each confusion-matrix cell,
the most confident mistakes, where two models disagree, and the errors as CSV.

Everything here is Streamlit-free NumPy; the Errors page (pages/2_Errors.py) only draws it.

    from training.confusion import mnist_test, evaluate_on, cell_samples
    data = mnist_test()
    ev = evaluate_on(Classifier.load(), data)        # ~0.3 s for the 10,000 test images
    cell_samples(ev, true=4, predicted=9)            # positions, most confident mistake first
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass

import numpy as np

from model.spec import IMAGE_SIDE, N_CLASSES
from training.evaluate import Evaluation, evaluate

BATCH = 2500  # images per predict_proba call: keeps the hidden activations to a few MB
MNIST_TEST, DRAWINGS, CLASS = "mnist-test", "drawings", "class"  # dataset keys (CLASS: a class's pooled drawings)


@dataclass(frozen=True)
class Dataset:
    key: str  # MNIST_TEST or DRAWINGS
    title: str  # what the picker shows
    x: np.ndarray  # (n, 28, 28) uint8, MNIST-style (white digit on black)
    y: np.ndarray  # (n,) int64 true digits
    ids: np.ndarray  # (n,) int64: the MNIST test index, or the drawing's id in My drawings
    fingerprint: str  # identifies the contents: part of the evaluation cache key
    names: tuple[str, ...] | None = None  # who drew each image (a class's nicknames), or None

    def __len__(self) -> int:
        return len(self.y)


def mnist_test() -> Dataset:
    """The 10,000 MNIST test images (fixed contents, so a fixed fingerprint)."""
    from training.data import load_mnist

    _, (x, y) = load_mnist()
    return Dataset(MNIST_TEST, "MNIST test set", x, y.astype(np.int64), np.arange(len(y), dtype=np.int64), MNIST_TEST)


def my_drawings(store=None) -> Dataset:
    """The labelled drawings saved from the Draw page (newest first); may be empty."""
    from model.drawings import DrawingStore

    drawings = (store or DrawingStore()).list()
    x = np.array([np.round(d.image * 255) for d in drawings], dtype=np.uint8).reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
    y = np.array([d.label for d in drawings], dtype=np.int64)
    ids = np.array([d.id for d in drawings], dtype=np.int64)
    digest = hashlib.sha256(x.tobytes() + y.tobytes() + ids.tobytes()).hexdigest()[:16]
    return Dataset(DRAWINGS, "My drawings", x, y, ids, f"{DRAWINGS}-{digest}")


def class_drawings(x: np.ndarray, y: np.ndarray, ids: np.ndarray, names: list[str]) -> Dataset:
    """A class's pooled drawings (model.classes.ClassDrawings' arrays), each with its student's nickname."""
    digest = hashlib.sha256(x.tobytes() + y.astype(np.int64).tobytes() + ids.tobytes()).hexdigest()[:16]
    return Dataset(CLASS, "The class's drawings", x, y.astype(np.int64), ids, f"{CLASS}-{digest}", tuple(names))


def evaluate_on(classifier, data: Dataset) -> Evaluation:
    """Run the NumPy forward pass over the whole dataset in batches and score it."""
    chunks = [
        classifier.predict_proba(data.x[i : i + BATCH].astype(np.float32) / 255) for i in range(0, len(data), BATCH)
    ]
    probabilities = np.concatenate(chunks) if chunks else np.zeros((0, N_CLASSES), np.float32)
    return evaluate(probabilities, data.y)


# --- reading one evaluation --------------------------------------------------------------


def confidence(ev: Evaluation) -> np.ndarray:
    """(n,) the probability the model gave its own answer (the argmax)."""
    return ev.probabilities[np.arange(len(ev.labels)), ev.predicted]


def cell_samples(ev: Evaluation, true: int, predicted: int) -> np.ndarray:
    """Positions of the images of digit `true` predicted as `predicted`.

    Off the diagonal: most confident mistakes first (the model was sure and wrong).
    On the diagonal: least confident correct answers first (right, but only just).
    """
    positions = np.flatnonzero((ev.labels == true) & (ev.predicted == predicted))
    conf = confidence(ev)[positions]
    order = np.argsort(conf, kind="stable") if true == predicted else np.argsort(-conf, kind="stable")
    return positions[order]


def mistakes(ev: Evaluation, true: int | None = None, predicted: int | None = None) -> np.ndarray:
    """Positions of all wrong answers (optionally only one true / one predicted digit), most confident first."""
    wrong = ev.labels != ev.predicted
    if true is not None:
        wrong &= ev.labels == true
    if predicted is not None:
        wrong &= ev.predicted == predicted
    positions = np.flatnonzero(wrong)
    return positions[np.argsort(-confidence(ev)[positions], kind="stable")]


def top_k(probabilities: np.ndarray, k: int = 3) -> list[tuple[int, float]]:
    """The k most likely digits of one (10,) probability row: [(digit, probability), ...], highest first."""
    order = np.argsort(-probabilities, kind="stable")[:k]
    return [(int(d), float(probabilities[d])) for d in order]


def normalize_rows(confusion: np.ndarray) -> np.ndarray:
    """(10, 10) fractions of each true digit (each non-empty row sums to 1): a row reads as 'where the 4s went'."""
    totals = confusion.sum(axis=1, keepdims=True)
    return np.divide(confusion, totals, out=np.zeros(confusion.shape, dtype=float), where=totals > 0)


def per_writer(ev: Evaluation, names: tuple[str, ...] | list[str]) -> list[dict]:
    """One row per writer (names[i] drew image i): drawings, misread, share misread; the most misread share first."""
    rows: dict[str, list[int]] = {}
    for name, wrong in zip(names, (ev.labels != ev.predicted).tolist(), strict=True):
        counts = rows.setdefault(name, [0, 0])
        counts[0], counts[1] = counts[0] + 1, counts[1] + int(wrong)
    table = [{"writer": n, "drawings": d, "misread": m, "share": m / d} for n, (d, m) in rows.items()]
    return sorted(table, key=lambda r: (-r["share"], -r["misread"], r["writer"]))


# --- two models --------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    difference: np.ndarray  # (10, 10) int: confusion of B minus confusion of A (rows = true digit)
    a_only: np.ndarray  # positions A gets right and B gets wrong, B's most confident mistakes first
    b_only: np.ndarray  # positions B gets right and A gets wrong, A's most confident mistakes first
    both_wrong: int  # how many images both models get wrong


def compare(a: Evaluation, b: Evaluation) -> Comparison:
    """Where model B differs from model A on the same images."""
    if len(a.labels) != len(b.labels) or not np.array_equal(a.labels, b.labels):
        raise ValueError("the two evaluations are not on the same images.")
    right_a, right_b = a.predicted == a.labels, b.predicted == b.labels
    a_only, b_only = np.flatnonzero(right_a & ~right_b), np.flatnonzero(right_b & ~right_a)
    a_only = a_only[np.argsort(-confidence(b)[a_only], kind="stable")]
    b_only = b_only[np.argsort(-confidence(a)[b_only], kind="stable")]
    difference = b.confusion.astype(np.int64) - a.confusion.astype(np.int64)
    return Comparison(difference, a_only, b_only, int((~right_a & ~right_b).sum()))


# --- export ------------------------------------------------------------------------------

CSV_COLUMNS = ("index", "true", "predicted", "confidence")


def error_rows(ev: Evaluation, ids: np.ndarray) -> list[dict]:
    """One row per mistake, most confident first: index (MNIST test index or drawing id), true, predicted, confidence."""
    conf = confidence(ev)
    return [
        {
            "index": int(ids[i]),
            "true": int(ev.labels[i]),
            "predicted": int(ev.predicted[i]),
            "confidence": round(float(conf[i]), 6),
        }
        for i in mistakes(ev)
    ]


def to_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
