"""One complete training run, shared by the CLI and the Train page: fit -> evaluate -> register."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from model.inference import Classifier
from model.registry import ModelRecord, Registry, now_iso
from model.spec import ArchSpec
from model.store import ModelMeta
from model.workspace import PERSONAL, Workspace
from training.config import TrainConfig
from training.evaluate import Evaluation, evaluate
from training.loop import Callbacks, FitResult, fit
from training.snapshots import SnapshotRecorder


@dataclass
class Outcome:
    record: ModelRecord | None  # None when a stopped run was discarded
    evaluation: Evaluation
    fit: FitResult

    def summary(self) -> dict:
        return {
            "name": self.record.name if self.record else None,
            "accuracy": self.evaluation.accuracy,
            "loss": self.evaluation.loss,
            "train_seconds": self.fit.train_seconds,
            "epochs": len(self.fit.history),
            "best_epoch": self.fit.best_epoch,
            "params": self.record.params if self.record else None,
            "stopped": self.fit.stopped,
        }


def training_set(
    cfg: TrainConfig, mnist_train: tuple[np.ndarray, np.ndarray], workspace: Workspace = PERSONAL
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST's training images, plus the labelled drawings of `workspace` when the config asks for them."""
    x, y = mnist_train
    if cfg.include_drawings:
        from model.drawings import DrawingStore

        x_mine, y_mine = DrawingStore(workspace=workspace).arrays()
        if len(x_mine):
            x, y = np.concatenate([x, x_mine]), np.concatenate([y, y_mine])
    return x, y


def train_and_register(
    name: str,
    arch: ArchSpec,
    cfg: TrainConfig,
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    registry: Registry,
    on_batch: Callable | None = None,
    on_epoch: Callable | None = None,
    should_stop: Callable[[], bool] | None = None,
    keep_on_stop: bool | Callable[[], bool] = True,
    discard: Callable[[], bool] | None = None,
    on_snapshot: Callable[[dict], None] | None = None,
) -> Outcome:
    """Train on uint8 `train` images, evaluate on `test`, save into the registry (unless stopped and not kept).

    `keep_on_stop` may be a callable, asked only once a stopped run has ended (the choice can come with the stop).
    `discard` is asked right before saving: True saves nothing, even for a run whose training had ended when the
    person chose to throw it away (a Discard pressed during the evaluation).
    With `cfg.snapshots`, the run's snapshots (training/snapshots.py) are saved beside the model."""
    recorder = SnapshotRecorder(*test, on_snapshot=on_snapshot) if cfg.snapshots else None
    result = fit(
        arch,
        cfg,
        *train,
        Callbacks(on_batch=on_batch, on_epoch=on_epoch, should_stop=should_stop, keras=[recorder] if recorder else []),
    )
    meta = ModelMeta(
        name=name,
        arch=arch,
        train=cfg.to_dict(),
        history=[e.__dict__ for e in result.history],
        train_seconds=result.train_seconds,
        created=now_iso(),
    )
    classifier = Classifier.from_keras(result.keras_model, meta)
    x_test, y_test = test
    evaluation = evaluate(classifier.predict_proba(x_test.astype(np.float32) / 255), y_test)
    meta.metrics = evaluation.summary()
    if result.stopped and not (keep_on_stop() if callable(keep_on_stop) else keep_on_stop):
        return Outcome(None, evaluation, result)
    if discard is not None and discard():
        return Outcome(None, evaluation, result)
    record = registry.add(result.keras_model, meta, snapshots=recorder.result() if recorder else None)
    return Outcome(record, evaluation, result)
