"""Model files: a Keras `.keras` archive with our metadata (`digitlab.json`) inside it.

    meta = read_meta(path)        # architecture, training settings, metrics, curves
    layers = read_layers(path)    # [DenseWeights, ...]: what inference needs, read with h5py
    keras_model = load_keras(path)  # only for callers that need Keras itself (training, tests)

Metadata travels with the weights. `read_meta` and `read_layers` never import Keras: the archive's
`config.json` names the layers, `model.weights.h5` holds their weights, so the Streamlit server
runs without TensorFlow. Files are written to a temporary name and renamed, so a crash never
leaves half a model.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from model.preprocess import PREPROCESS_VERSION
from model.spec import ArchSpec

META_MEMBER = "digitlab.json"
CONFIG_MEMBER, WEIGHTS_MEMBER = "config.json", "model.weights.h5"  # what keras.Model.save writes
LAYER_CLASSES = (
    "InputLayer",
    "Flatten",
    "Dense",
    "Dropout",
)  # model.network.build_model's layers; only Dense has weights


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
    replay: dict = field(default_factory=dict)  # the snapshot sidecar (model/snapshots.py): sha256, epochs; {} = none

    @property
    def params(self) -> int:
        return self.arch.params

    def to_dict(self) -> dict:
        data = asdict(self)
        data["arch"] = self.arch.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> ModelMeta:
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


@dataclass(frozen=True)
class DenseWeights:
    kernel: np.ndarray  # (n_in, n_out) float32
    bias: np.ndarray  # (n_out,) float32
    activation: str  # Keras' name: "relu", "softmax"...; model.inference decides which ones it can run


def read_layers(path: Path) -> list[DenseWeights]:
    """The Dense layers of a model file, in order, read from its archive with h5py (no Keras)."""
    import h5py  # ~0.3 s to import: only when a model is loaded, not for `read_meta`

    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read(CONFIG_MEMBER))
            weights = io.BytesIO(archive.read(WEIGHTS_MEMBER))
        with h5py.File(weights, "r") as h5:
            return _dense_layers(config, h5)
    except FileNotFoundError:
        raise ModelFileError(f"model file {path} is missing.") from None
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, AttributeError, OSError):
        raise ModelFileError(f"model file {path} is damaged or not a Digit Lab model.") from None


def _dense_layers(config: dict, h5) -> list[DenseWeights]:
    """Keras' weights file names each layer's group after its class, counted per class
    (layers/dense, layers/dense_1, ...), in model order without the InputLayer (keras.saving's saving_lib)."""
    if config["class_name"] != "Sequential":
        raise ValueError("not a Sequential model")
    layers, seen = [], {}
    for layer in config["config"]["layers"]:
        kind, settings = layer["class_name"], layer["config"]
        if kind not in LAYER_CLASSES:
            raise ValueError(f"unexpected layer {kind}")
        if kind == "InputLayer":
            continue
        count = seen[kind] = seen.get(kind, -1) + 1
        group = h5["layers"][kind.lower() + (f"_{count}" if count else "")]["vars"]
        if group.attrs.get("name", settings["name"]) != settings["name"]:  # files since Keras 3.x record the name
            raise ValueError("weights of another layer")
        if kind != "Dense":
            continue
        kernel = np.asarray(group["0"], dtype=np.float32)
        bias = (
            np.asarray(group["1"], dtype=np.float32)
            if settings.get("use_bias", True)
            else np.zeros(kernel.shape[1], np.float32)
        )
        n_in = layers[-1].kernel.shape[1] if layers else kernel.shape[0]
        if kernel.shape != (n_in, settings["units"]) or bias.shape != (settings["units"],):
            raise ValueError("weights do not match the layer")
        activation = settings["activation"]
        layers.append(DenseWeights(kernel, bias, activation if isinstance(activation, str) else repr(activation)))
    return layers


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
