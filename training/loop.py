"""The fit loop: data -> (augmented) batches -> Keras fit, reporting through plain-Python callbacks.

The CLI passes callbacks that print, the Train page's runner passes ones that record
progress; nothing here knows about Streamlit. `fit` returns the trained model with the
weights of its best validation epoch (or the last weights when there is no validation).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from model.network import build_model
from model.spec import N_CLASSES, ArchSpec, SpecError
from training.augment import AugmentConfig, augment_batch
from training.config import TrainConfig
from training.pen import draw_pen, pen_paths
from training.pendigits import draw_pendigits, load_pendigits, skeleton_aspects


@dataclass(frozen=True)
class BatchReport:
    epoch: int  # 1-based
    epochs: int
    batch: int  # 1-based within the epoch
    batches: int  # batches per epoch
    loss: float  # running mean over this epoch so far
    accuracy: float  # running mean over this epoch so far
    elapsed: float  # seconds since fit started


@dataclass(frozen=True)
class EpochReport:
    epoch: int  # 1-based
    epochs: int
    loss: float
    accuracy: float
    val_loss: float | None  # None without a validation split
    val_accuracy: float | None
    elapsed: float  # seconds since fit started
    learning_rate: float


@dataclass
class FitResult:
    keras_model: object  # keras.Model with the kept weights
    history: list[EpochReport] = field(default_factory=list)
    train_seconds: float = 0.0  # time spent in fit only (no data loading, no evaluation)
    stopped: bool = False  # True when should_stop ended the run early
    best_epoch: int = 0  # the epoch whose weights were kept (0: none completed)


class Diverged(SpecError):
    """The loss became NaN or infinite: the weights are lost, so nothing of the run is worth saving."""


@dataclass
class Callbacks:
    on_batch: Callable[[BatchReport], None] | None = None
    on_epoch: Callable[[EpochReport], None] | None = None
    should_stop: Callable[[], bool] | None = None  # polled after every batch
    batch_every: int = 10  # call on_batch every N batches (and on the last one)
    keras: list = field(default_factory=list)  # more Keras callbacks, after ours (training/snapshots.py's recorder)


def split_train_val(x: np.ndarray, y: np.ndarray, cfg: TrainConfig):
    """Shuffle with the seed, then hold out the last `validation_split` fraction."""
    if cfg.train_limit:
        x, y = x[: cfg.train_limit], y[: cfg.train_limit]
    order = np.random.default_rng(cfg.seed).permutation(len(x))
    n_val = int(round(len(x) * cfg.validation_split))
    train, val = order[: len(x) - n_val], order[len(x) - n_val :]
    return (x[train], y[train]), (x[val], y[val])


def fit(
    arch: ArchSpec,
    cfg: TrainConfig,
    x: np.ndarray,
    y: np.ndarray,
    callbacks: Callbacks | None = None,
    augment: AugmentConfig = AugmentConfig(),
    pen: tuple[np.ndarray, np.ndarray] | None = None,
) -> FitResult:
    """Train a fresh network on uint8 images x (n, 28, 28) with labels y (n,); with `cfg.pen_data`, also on
    pen trajectories `pen` (n, 8, 2) and their labels (default: the vendored pendigits training writers)."""
    callbacks = callbacks or Callbacks()
    if cfg.pen_data and pen is None:
        pen = load_pendigits()
    (x_train, y_train), (x_val, y_val) = split_train_val(x, y, cfg)
    if cfg.batch_size > len(x_train):
        raise SpecError(f"batch size {cfg.batch_size} is larger than the {len(x_train)} training images.")
    model = build_model(arch, seed=cfg.seed)
    steps = math.ceil(len(x_train) / cfg.batch_size)
    model.compile(
        optimizer=_optimizer(cfg, steps),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=cfg.label_smoothing),
        metrics=["accuracy"],
    )
    validation = (_scale(x_val), _one_hot(y_val)) if len(x_val) else None
    bridge = _Bridge(cfg, steps, callbacks, has_val=validation is not None)
    start = time.perf_counter()
    bridge.start = start
    if cfg.augment or cfg.pen_strokes or cfg.pen_data:
        # a fresh distortion of the whole training split every epoch, built one epoch ahead in a thread
        epochs = _AugmentedEpochs(x_train, y_train, cfg, augment, pen)
        for epoch in range(cfg.epochs):
            x_epoch, y_epoch = epochs.get(epoch)
            model.fit(
                x_epoch,
                y_epoch,
                batch_size=cfg.batch_size,
                epochs=epoch + 1,
                initial_epoch=epoch,
                shuffle=False,
                validation_data=validation,
                callbacks=[bridge, *callbacks.keras],
                verbose=0,
            )
            if bridge.halted:  # stop requested, or early stopping
                break
        epochs.close()
    else:  # one fit call: no per-epoch set-up cost
        model.fit(
            _batches(x_train, y_train, cfg.batch_size, cfg.seed),
            epochs=cfg.epochs,
            shuffle=False,  # the dataset reshuffles
            validation_data=validation,
            callbacks=[bridge, *callbacks.keras],
            verbose=0,
        )
    seconds = time.perf_counter() - start
    if bridge.diverged is not None:
        epoch, batch, loss = bridge.diverged
        raise Diverged(
            f"the loss became {'NaN' if math.isnan(loss) else 'infinite'} in epoch {epoch}, batch {batch} "
            f"(is the learning rate, {cfg.learning_rate:g}, too high?); training stopped and nothing was saved."
        )
    if bridge.best_weights is not None:
        model.set_weights(bridge.best_weights)
    return FitResult(model, bridge.history, seconds, bridge.stopped, bridge.best_epoch)


def _scale(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float32) * (1 / 255)  # (n, 28, 28) uint8 -> float32 in [0, 1]


def _batches(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int) -> tf.data.Dataset:
    """uint8 images (n, 28, 28) and labels -> batches reshuffled every epoch, scaled and one-hot per batch.

    TensorFlow gets the uint8 array (a quarter of float32's bytes) and gathers each batch from it:
    handing Keras float32 arrays cost ~0.7 s of copying before the first step of every fit call.
    """
    images, labels = tf.constant(x), tf.constant(y.astype(np.int32))

    def batch(index):
        return tf.cast(tf.gather(images, index), tf.float32) * (1 / 255), tf.one_hot(
            tf.gather(labels, index), N_CLASSES
        )

    order = tf.data.Dataset.range(len(x)).shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return order.batch(batch_size).map(batch).prefetch(tf.data.AUTOTUNE)


def _one_hot(y: np.ndarray) -> np.ndarray:
    return np.eye(N_CLASSES, dtype=np.float32)[y]


def _optimizer(cfg: TrainConfig, steps_per_epoch: int):
    lr = cfg.learning_rate
    if cfg.schedule == "cosine":
        lr = keras.optimizers.schedules.CosineDecay(cfg.learning_rate, decay_steps=steps_per_epoch * cfg.epochs)
    if cfg.optimizer == "sgd":
        return keras.optimizers.SGD(lr, momentum=0.9, nesterov=True)
    if cfg.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(lr)
    return keras.optimizers.Adam(lr)


class _AugmentedEpochs:
    """Each epoch's shuffled training arrays, part redrawn as pen strokes, a `pen_data` share replaced by drawn
    pen trajectories, and all distorted as the config says, built one epoch ahead in a thread."""

    def __init__(self, x, y, cfg: TrainConfig, augment: AugmentConfig, pen=None):
        self.x, self.y, self.cfg, self.augment, self.pen = x, y, cfg, augment, pen
        self.paths: dict[int, tuple] = {}  # image index -> its pen paths, traced the first time it is redrawn
        # per digit, the aspects (width / height) of MNIST skeletons: what a stretched trajectory gets back
        self.aspects = skeleton_aspects(x, y, np.random.default_rng(cfg.seed)) if cfg.pen_data else None
        self.pool = ThreadPoolExecutor(max_workers=1)
        self.pending = {0: self.pool.submit(self._build, 0)}

    def get(self, epoch: int):
        future = self.pending.pop(epoch, None) or self.pool.submit(self._build, epoch)
        if epoch + 1 < self.cfg.epochs:
            self.pending[epoch + 1] = self.pool.submit(self._build, epoch + 1)
        return future.result()

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)

    def _build(self, epoch: int):
        rng = np.random.default_rng([self.cfg.seed, epoch])
        order = rng.permutation(len(self.x))
        x, y = _scale(self.x[order]), self.y[order]
        n_pen = int(round(len(x) * self.cfg.pen_data))  # the last n_pen are replaced by drawn pen trajectories
        if self.cfg.pen_strokes:
            redraw = np.flatnonzero(rng.random(len(x) - n_pen) < self.cfg.pen_strokes)
            new = [i for i in order[redraw].tolist() if i not in self.paths]
            self.paths.update(zip(new, pen_paths(self.x[new])))
            x[redraw] = draw_pen([self.paths[i] for i in order[redraw].tolist()], rng, labels=y[redraw])
        if n_pen:  # each trajectory used about as often, then mixed in among the MNIST digits
            trajectories, labels = self.pen
            pick = np.resize(rng.permutation(len(labels)), n_pen)
            x[len(x) - n_pen :] = draw_pendigits(trajectories[pick], labels[pick], rng, self.aspects)
            y = np.concatenate([y[: len(y) - n_pen], labels[pick]])
            mix = rng.permutation(len(x))
            x, y = x[mix], y[mix]
        if self.cfg.augment:
            for i in range(0, len(x), 1024):  # chunks keep the temporary coordinate arrays small
                x[i : i + 1024] = augment_batch(x[i : i + 1024], rng, self.augment)
        return x, _one_hot(y)


class _Bridge(keras.callbacks.Callback):
    """Keras callback -> our plain callbacks; keeps the best validation weights; stops on request."""

    def __init__(self, cfg: TrainConfig, steps: int, callbacks: Callbacks, has_val: bool):
        super().__init__()
        self.cfg, self.steps, self.cb, self.has_val = cfg, steps, callbacks, has_val
        self.start = time.perf_counter()
        self.epoch = 0
        self.history: list[EpochReport] = []
        self.best_weights = None
        self.best_epoch = 0
        self.best_val = math.inf
        self.stale = 0
        self.stopped = False  # the user asked to stop
        self.halted = False  # no more epochs: stopped, early-stopped or diverged
        self.diverged: tuple[int, int, float] | None = (
            None  # (epoch, batch, loss) where the loss was first seen non-finite
        )

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch + 1

    def on_train_batch_end(self, batch, logs=None):
        if self.cb.should_stop is not None and self.cb.should_stop():
            self.stopped = self.halted = True
            self.model.stop_training = True
        n = batch + 1
        if n % self.cb.batch_every == 0 or n == self.steps:  # reading the loss costs a sync: every N batches only
            logs = logs or {}
            loss = float(logs.get("loss", math.nan))
            if "loss" in logs and not math.isfinite(loss):  # a NaN weight never heals: stop within N batches of it
                self._diverge(n, loss)
                return
            if self.cb.on_batch is not None:
                self.cb.on_batch(
                    BatchReport(
                        self.epoch,
                        self.cfg.epochs,
                        n,
                        self.steps,
                        loss,
                        float(logs.get("accuracy", math.nan)),
                        time.perf_counter() - self.start,
                    )
                )

    def _diverge(self, batch: int, loss: float) -> None:
        self.diverged = (self.epoch, batch, loss)
        self.halted = self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.diverged is not None:
            return
        if "loss" in logs and not math.isfinite(float(logs["loss"])):
            self._diverge(self.steps, float(logs["loss"]))
            return
        val_loss = logs.get("val_loss")
        report = EpochReport(
            epoch + 1,
            self.cfg.epochs,
            float(logs.get("loss", math.nan)),
            float(logs.get("accuracy", math.nan)),
            None if val_loss is None else float(val_loss),
            None if logs.get("val_accuracy") is None else float(logs["val_accuracy"]),
            time.perf_counter() - self.start,
            float(self.model.optimizer.learning_rate),
        )
        self.history.append(report)
        score = report.val_loss if report.val_loss is not None else report.loss
        if score < self.best_val:
            self.best_val, self.best_epoch, self.stale = score, report.epoch, 0
            if self.has_val:
                self.best_weights = self.model.get_weights()
        else:
            self.stale += 1
            if self.cfg.early_stopping and self.stale >= self.cfg.early_stopping:
                self.halted = self.model.stop_training = True
        if not self.has_val:
            self.best_epoch = report.epoch
        if self.cb.on_epoch is not None:
            self.cb.on_epoch(report)
