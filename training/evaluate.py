"""Evaluation: accuracy, loss, confusion matrix and a per-class report from predicted probabilities."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.spec import N_CLASSES


@dataclass(frozen=True)
class Evaluation:
    probabilities: np.ndarray  # (n, 10) float32
    labels: np.ndarray  # (n,) int true digits
    predicted: np.ndarray  # (n,) int argmax digits
    confusion: np.ndarray  # (10, 10) int: rows = true digit, columns = predicted digit
    accuracy: float  # fraction correct, 0..1
    loss: float  # mean cross-entropy, nats
    per_class: list[dict]  # digit, precision, recall, f1, support

    def summary(self) -> dict:
        """The JSON-friendly metrics stored with a model and printed by `python -m training evaluate --json`."""
        return {"accuracy": self.accuracy, "loss": self.loss, "n": int(len(self.labels)), "per_class": self.per_class}


def evaluate(probabilities: np.ndarray, labels: np.ndarray) -> Evaluation:
    """Metrics for probabilities (n, 10) against true labels (n,)."""
    probabilities = np.asarray(probabilities, dtype=np.float32)
    labels = np.asarray(labels).astype(np.int64)
    predicted = probabilities.argmax(axis=1)
    confusion = confusion_matrix(labels, predicted)
    picked = probabilities[np.arange(len(labels)), labels]
    loss = float(-np.log(np.clip(picked, 1e-7, 1.0)).mean()) if len(labels) else float("nan")
    accuracy = float((predicted == labels).mean()) if len(labels) else float("nan")
    return Evaluation(probabilities, labels, predicted, confusion, accuracy, loss, report(confusion))


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """(10, 10) counts: entry [t, p] = how many images of digit t were predicted as p."""
    return np.bincount(labels * N_CLASSES + predicted, minlength=N_CLASSES * N_CLASSES).reshape(N_CLASSES, N_CLASSES)


def report(confusion: np.ndarray) -> list[dict]:
    """Precision, recall, F1 and support per digit (0 where a ratio has no denominator)."""
    rows = []
    for d in range(N_CLASSES):
        tp = int(confusion[d, d])
        support, claimed = int(confusion[d].sum()), int(confusion[:, d].sum())
        precision = tp / claimed if claimed else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append({"digit": d, "precision": precision, "recall": recall, "f1": f1, "support": support})
    return rows
