"""How one training run is set up: the typed config the CLI, the Train page and saved models share."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

from model.spec import SpecError

OPTIMIZERS = ("adam", "sgd", "rmsprop")  # sgd means SGD with Nesterov momentum 0.9
SCHEDULES = ("constant", "cosine")
MAX_SEED = 2**32 - 1  # NumPy's and Keras' seeds are unsigned 32-bit numbers


@dataclass(frozen=True)
class TrainConfig:
    optimizer: str = "adam"  # one of OPTIMIZERS
    learning_rate: float = 1e-3  # initial step size, > 0
    batch_size: int = 128  # examples per gradient step, >= 1
    epochs: int = 10  # passes over the training split, >= 1
    validation_split: float = 0.1  # last fraction of the shuffled training set held out for val metrics, 0..0.5
    augment: bool = False  # random shift/rotation/scale/shear/thickness/elastic distortion per batch
    pen_strokes: float = 0.0  # 0..1: share of each epoch's images redrawn as quick pen strokes (training/pen.py)
    pen_data: float = (
        0.0  # 0..1: share of each batch drawn from real pen trajectories (training/pendigits.py, 30 UCI writers)
    )
    include_drawings: bool = False  # add the user's labelled drawings ("Teach it") to the training split
    seed: int = 0  # 0..MAX_SEED; shuffling, initial weights, augmentation and dropout all follow it
    schedule: str = "constant"  # learning-rate schedule: constant, or cosine decay to 0 over all epochs
    label_smoothing: float = 0.0  # 0..0.3; softens one-hot targets
    early_stopping: int = 0  # stop after this many epochs without val-loss improvement; 0 = never
    train_limit: int = 0  # use only the first N training images (quick runs and tests); 0 = all 60000
    snapshots: bool = True  # record the replay (model/snapshots.py) beside the saved model

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise SpecError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}.")
        if not math.isfinite(self.learning_rate):
            raise SpecError(f"learning rate must be a finite number, got {self.learning_rate}.")
        if not self.learning_rate > 0:
            raise SpecError(f"learning rate must be greater than 0, got {self.learning_rate}.")
        if not (isinstance(self.batch_size, int) and self.batch_size >= 1):
            raise SpecError(f"batch size must be a whole number of at least 1, got {self.batch_size}.")
        if not (isinstance(self.epochs, int) and self.epochs >= 1):
            raise SpecError(f"epochs must be a whole number of at least 1, got {self.epochs}.")
        if not 0.0 <= self.validation_split <= 0.5:
            raise SpecError(f"validation split must be between 0 and 0.5, got {self.validation_split}.")
        if self.schedule not in SCHEDULES:
            raise SpecError(f"schedule must be one of {', '.join(SCHEDULES)}, got {self.schedule!r}.")
        if not 0.0 <= self.pen_strokes <= 1.0:
            raise SpecError(f"pen strokes must be a share between 0 and 1, got {self.pen_strokes}.")
        if not 0.0 <= self.pen_data < 1.0:
            raise SpecError(f"pen data must be a share of at least 0 and below 1, got {self.pen_data}.")
        if not 0.0 <= self.label_smoothing <= 0.3:
            raise SpecError(f"label smoothing must be between 0 and 0.3, got {self.label_smoothing}.")
        if isinstance(self.seed, bool) or not (isinstance(self.seed, int) and 0 <= self.seed <= MAX_SEED):
            raise SpecError(f"seed must be a whole number from 0 to {MAX_SEED}, got {self.seed}.")
        if self.early_stopping < 0 or self.train_limit < 0:
            raise SpecError("early stopping patience and train limit cannot be negative.")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
