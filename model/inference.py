"""Fast inference: the Keras network's weights run as a NumPy forward pass, without Keras.

`Classifier.predict_proba` agrees with `keras_model.predict` to 1e-4 but costs well under
a millisecond for one drawing (Keras' predict costs ~85 ms), so the per-stroke path
never touches Keras. A model file's weights are read with h5py (`model.store.read_layers`),
so loading one imports neither Keras nor TensorFlow; `keras_model` loads Keras on first use.
`Classifier.load()` (the active model) falls back to the bundled default, with a warning,
when the model's file is damaged; `Classifier.load(name)` refuses it with one sentence.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from model.spec import N_INPUTS
from model.store import DenseWeights, ModelFileError, ModelMeta, load_keras, read_layers, read_meta

GATHERED_ROW_READS = 3  # a kernel row gathered into a copy is read, written, then read by the product

SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def _expit(z: np.ndarray) -> np.ndarray:
    from scipy.special import expit  # scipy.special takes ~0.5 s to import: only sigmoid and GELU models pay it

    return expit(z)


def _erf(z: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    return erf(z)


ACTIVATIONS = {  # name -> (function, derivative given the pre-activation)
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(z.dtype)),
    "sigmoid": (_expit, lambda z: _expit(z) * (1 - _expit(z))),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "gelu": (
        lambda z: 0.5 * z * (1 + _erf(z / np.sqrt(2))),  # Keras' default: exact GELU
        lambda z: 0.5 * (1 + _erf(z / np.sqrt(2))) + z * np.exp(-0.5 * z**2) / np.sqrt(2 * np.pi),
    ),
    "elu": (
        lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0))),
        lambda z: np.where(z > 0, 1, np.exp(np.minimum(z, 0))),
    ),
    "selu": (
        lambda z: SELU_SCALE * np.where(z > 0, z, SELU_ALPHA * np.expm1(np.minimum(z, 0))),
        lambda z: SELU_SCALE * np.where(z > 0, 1, SELU_ALPHA * np.exp(np.minimum(z, 0))),
    ),
}


class Classifier:
    def __init__(
        self,
        meta: ModelMeta,
        layers: list[DenseWeights],
        keras_model=None,
        path: Path | None = None,
        sha256: str = "",
        warning: str | None = None,
    ):
        self.meta = meta
        self.layers = layers
        self._keras_model = keras_model
        self.path = path
        self.sha256 = sha256  # identifies this exact file: a cache key for evaluations
        self.warning = warning  # set when this model stands in for one that could not be loaded

    @property
    def name(self) -> str:
        return self.meta.name

    # --- loading -------------------------------------------------------------------------

    @classmethod
    def load(cls, name: str | None = None, registry=None, fallback: bool | None = None) -> Classifier:
        """The named model (default: the active one).

        A damaged file falls back to the bundled default (with `.warning`) when `fallback` is true,
        by default only for the active model; a named model is refused (RegistryError, one sentence)."""
        from model.registry import BUNDLED_NAME, Registry, RegistryError

        registry = registry or Registry()
        fallback = name is None if fallback is None else fallback
        record = registry.get(name or registry.active_name())
        try:
            registry.verify(record)
            return cls.from_file(record.path, name=record.name, sha256=record.sha256)
        except ModelFileError as error:
            if not fallback:
                raise RegistryError(f"cannot load model {record.name!r}: {error}") from None
            if record.bundled:
                raise
            stand_in = cls.load(BUNDLED_NAME, registry, fallback=False)
            stand_in.warning = f"{error} Using the bundled default model instead."
            return stand_in

    @classmethod
    def from_file(cls, path: Path, name: str | None = None, sha256: str = "") -> Classifier:
        """A model file's metadata and Dense weights, read without Keras."""
        meta = read_meta(path)
        if name:
            meta.name = name
        return cls(meta, _runnable(read_layers(path), meta.name), path=Path(path), sha256=sha256)

    @classmethod
    def from_keras(cls, keras_model, meta: ModelMeta, **kwargs) -> Classifier:
        """Copy the Dense layers' weights out of a Keras model in memory (Flatten and Dropout have none)."""
        layers = [
            DenseWeights(
                *(np.asarray(w, dtype=np.float32) for w in layer.get_weights()), layer.get_config()["activation"]
            )
            for layer in keras_model.layers
            if layer.__class__.__name__ == "Dense"
        ]
        return cls(meta, _runnable(layers, meta.name), keras_model=keras_model, **kwargs)

    @property
    def keras_model(self):
        """The Keras model, loaded from `path` on first use (tests, benchmarks); never needed to predict."""
        if self._keras_model is None and self.path is not None:
            self._keras_model = load_keras(self.path)
        return self._keras_model

    # --- inference -----------------------------------------------------------------------

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """(n, 28, 28) float32 in [0, 1] -> (n, 10) class probabilities."""
        h = np.asarray(x, dtype=np.float32).reshape(-1, N_INPUTS)
        for layer in self.layers[:-1]:
            h = ACTIVATIONS[layer.activation][0](dense(h, layer))
        return softmax(dense(h, self.layers[-1]))

    def forward(self, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Pre-activations and activations of every layer, for explanations; the last activation is the softmax."""
        h = np.asarray(x, dtype=np.float32).reshape(-1, N_INPUTS)
        pre, post = [], []
        for layer in self.layers:
            z = dense(h, layer)
            h = softmax(z) if layer.activation == "softmax" else ACTIVATIONS[layer.activation][0](z)
            pre.append(z)
            post.append(h)
        return pre, post

    def logit_gradient(self, x: np.ndarray, target: int) -> np.ndarray:
        """d logit[target] / d input for one (28, 28) image: which pixels push the class up (+) or down (-)."""
        pre, post = self.forward(x[None])
        grad = self.layers[-1].kernel[:, target].copy()  # (units_last,)
        for layer, z in zip(reversed(self.layers[:-1]), reversed(pre[:-1])):
            grad = grad * ACTIVATIONS[layer.activation][1](z[0])
            grad = layer.kernel @ grad
        return grad.reshape(x.shape).astype(np.float32)


def _runnable(layers: list[DenseWeights], name: str) -> list[DenseWeights]:
    """`layers` if this module can run them: 784 inputs, hidden activations it knows, a softmax output."""
    for layer in layers[:-1]:
        if layer.activation not in ACTIVATIONS:
            raise ModelFileError(f"model {name!r} uses activation {layer.activation!r}, which Digit Lab cannot run.")
    if not layers or layers[0].kernel.shape[0] != N_INPUTS or layers[-1].activation != "softmax":
        raise ModelFileError(f"model {name!r} is not a Flatten -> Dense -> softmax digit classifier.")
    return layers


def dense(h: np.ndarray, layer: DenseWeights) -> np.ndarray:
    """h @ kernel + bias, reading only the kernel rows from the first input non-zero somewhere in the batch to
    the last, or only those of the non-zero inputs.

    One drawing leaves ~70% of its pixels blank and ReLU ~90% of a hidden layer at zero, and a zero input
    adds nothing, so skipping those rows cuts the memory read (the cost of a single-image pass) severalfold.
    The rows from the first active input to the last are a view; scattered rows are gathered into a copy,
    which reads and writes each row before the product reads it again, so is worth it only if three times
    fewer. The sum runs in another order: the result differs from the dense product by float rounding only.
    """
    active = np.flatnonzero(h.any(axis=0))
    first, last = (int(active[0]), int(active[-1]) + 1) if active.size else (0, 0)
    if last - first <= GATHERED_ROW_READS * active.size:
        return h[:, first:last] @ layer.kernel[first:last] + layer.bias
    return h[:, active] @ layer.kernel[active] + layer.bias


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)
