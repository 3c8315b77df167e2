"""Model files: a Keras `.keras` archive with our metadata (`digitlab.json`) inside it.

Metadata travels with the weights: architecture, training settings, preprocessing
version, test metrics and curves are read back by `read_meta` without loading Keras.
Files are written to a temporary name and renamed, so a crash never leaves half a model.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from model.preprocess import PREPROCESS_VERSION
from model.spec import ArchSpec

META_MEMBER = "digitlab.json"


class ModelFileError(RuntimeError):
    """A model file is missing, damaged or not ours; the message is one sentence."""


@dataclass
class ModelMeta:
    name: str  # registry name: letters, digits, '-' and '_'
    arch: ArchSpec  # the network
    train: dict = field(default_factory=dict)  # TrainConfig.to_dict() of the run that made it
    metrics: dict = field(default_factory=dict)  # test metrics: accuracy, loss, n, per_class...
    history: list = field(default_factory=list)  # one dict per epoch: loss, accuracy, val_loss, val_accuracy, elapsed
    train_seconds: float = 0.0  # time in fit only
    created: str = ""  # ISO 8601, UTC
    preprocess_version: int = PREPROCESS_VERSION  # to_mnist version the model was trained and tested with

    @property
    def params(self) -> int:
        return self.arch.params

    def to_dict(self) -> dict:
        data = asdict(self)
        data["arch"] = self.arch.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "ModelMeta":
        data = dict(data)
        data["arch"] = ArchSpec.from_dict(data["arch"])
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


def save_model(keras_model, meta: ModelMeta, path: Path) -> str:
    """Write `keras_model` + `meta` to `path` atomically; returns the file's SHA-256."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".saving-", suffix=".keras", dir=path.parent)
    os.close(fd)
    try:
        _without_optimizer(keras_model).save(tmp)
        with zipfile.ZipFile(tmp, "a") as archive:
            archive.writestr(META_MEMBER, json.dumps(meta.to_dict(), indent=1))
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        digest = file_sha256(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest


def _without_optimizer(keras_model):
    """An uncompiled copy with the same weights: Adam's moment estimates would triple the file size."""
    if getattr(keras_model, "optimizer", None) is None:
        return keras_model
    copy = keras_model.__class__.from_config(keras_model.get_config())  # clone_model would compile the copy too
    copy.set_weights(keras_model.get_weights())
    return copy


def read_meta(path: Path) -> ModelMeta:
    """The metadata of a model file, without loading Keras."""
    try:
        with zipfile.ZipFile(path) as archive:
            return ModelMeta.from_dict(json.loads(archive.read(META_MEMBER)))
    except FileNotFoundError:
        raise ModelFileError(f"model file {path} is missing.") from None
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError):
        raise ModelFileError(f"model file {path} is damaged or not a Digit Lab model.") from None


def load_keras(path: Path):
    """The Keras model in a file, loaded in safe mode (no arbitrary code), without compiling."""
    import keras

    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as error:  # keras raises many types for a damaged archive
        raise ModelFileError(f"model file {path} could not be loaded ({type(error).__name__}).") from None


def file_sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
