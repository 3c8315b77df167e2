"""Every hidden neuron over the 10,000 MNIST test digits: what excites it, how often it fires, what it votes for.

Pure NumPy, no Streamlit; the Inside page and `python -m model neuron` draw what this returns.

    from model.neurons import record, neuron
    rec = record(classifier, x_test)            # all hidden layers' inputs, once per model file (~1-2 s)
    view = neuron(classifier, rec, layer=1, unit=17)
    view.top, view.active_share                 # the 9 test indices that excite it most, most first; 0..1

Layers are numbered from 1 (the first hidden layer), units from 0 (as the Draw page names them).
Units are ranked by their input before the activation function (the pre-activation): it orders
inputs the same as the output wherever the unit fires, and still orders them where ReLU's zeros tie.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.inference import ACTIVATIONS
from model.spec import IMAGE_SIDE, N_INPUTS

BATCH = 2500  # test images per matrix product: keeps the temporaries to ~10 MB a layer
SHOWN = 9  # test images shown as most and as least exciting
PICTURE_TOP = 100  # a deeper unit's picture averages its this-many most exciting test digits
HISTOGRAM_BINS = 40
BUSIEST = 10  # units listed as the busiest of a layer


class NeuronError(ValueError):
    """A layer or unit that does not exist; the message is one sentence for the user."""


@dataclass(frozen=True)
class Recording:
    """All hidden layers' pre-activations over a set of images (the MNIST test set)."""

    pre: tuple[np.ndarray, ...]  # one (n, units) float32 per hidden layer, as the matrix products make them
    active_share: tuple[np.ndarray, ...]  # one (units,) float per hidden layer: share of images it fires on
    activations: tuple[str, ...]  # each hidden layer's activation function


@dataclass(frozen=True)
class NeuronView:
    layer: int  # 1-based hidden layer
    unit: int  # 0-based unit within the layer
    activation: str  # the layer's activation function
    top: tuple[int, ...]  # test indices exciting it most, most first
    bottom: tuple[int, ...]  # test indices exciting it least, least first
    active_share: float  # share of test images it fires on, 0..1
    mean_activation: float  # its mean output over the test images
    values: np.ndarray  # (n,) float32: its output on every test image
    histogram: tuple[np.ndarray, np.ndarray]  # (counts (bins,), edges (bins + 1,)) of `values`


def hidden_count(classifier) -> int:
    return len(classifier.layers) - 1


def layer_sizes(classifier) -> list[int]:
    """Units per hidden layer, first hidden layer first."""
    return [layer.kernel.shape[1] for layer in classifier.layers[:-1]]


def check(classifier, layer: int, unit: int | None = None) -> None:
    """Raise NeuronError with one sentence unless hidden layer `layer` (and its `unit`) exists."""
    sizes = layer_sizes(classifier)
    if not sizes:
        raise NeuronError(f"model {classifier.name!r} has no hidden layers, so it has no neurons to inspect.")
    if not 1 <= layer <= len(sizes):
        raise NeuronError(f"model {classifier.name!r} has hidden layers 1 to {len(sizes)}; there is no layer {layer}.")
    if unit is not None and not 0 <= unit < sizes[layer - 1]:
        raise NeuronError(f"hidden layer {layer} has units 0 to {sizes[layer - 1] - 1}; there is no unit {unit}.")


def output(pre: np.ndarray, activation: str) -> np.ndarray:
    return ACTIVATIONS[activation][0](pre).astype(np.float32)


def record(classifier, images: np.ndarray, layers: int | None = None) -> Recording:
    """(n, 28, 28) uint8 -> every hidden layer's pre-activations (or only the first `layers`).

    A unit fires (output above its resting level, as model.explain.ACTIVE_ABOVE counts it) exactly when its
    pre-activation is above 0, for every activation Digit Lab runs: sigmoid is above 0.5 and relu, tanh, gelu,
    elu and selu are above 0 exactly for z > 0."""
    hidden = classifier.layers[:-1][:layers]
    pre = tuple(np.empty((len(images), layer.kernel.shape[1]), dtype=np.float32) for layer in hidden)
    for start in range(0, len(images), BATCH):
        h = images[start : start + BATCH].reshape(-1, N_INPUTS).astype(np.float32) / 255  # (b, 784) in [0, 1]
        for out, layer in zip(pre, hidden):
            z = out[start : start + len(h)]
            np.matmul(h, layer.kernel, out=z)  # (b, units), written in place: no copy of 40 MB per layer
            z += layer.bias
            h = ACTIVATIONS[layer.activation][0](z)
    shares = tuple(np.count_nonzero(z > 0, axis=0) / max(len(z), 1) for z in pre)
    return Recording(pre, shares, tuple(layer.activation for layer in hidden))


def neuron(classifier, rec: Recording, layer: int, unit: int) -> NeuronView:
    """One unit's view over the recorded images."""
    check(classifier, layer, unit)
    z = np.ascontiguousarray(rec.pre[layer - 1][:, unit])  # (n,)
    activation = rec.activations[layer - 1]
    values = output(z, activation)
    order = np.argsort(-z, kind="stable")
    counts, edges = np.histogram(values, bins=HISTOGRAM_BINS)
    return NeuronView(
        layer,
        unit,
        activation,
        tuple(int(i) for i in order[:SHOWN]),
        tuple(int(i) for i in order[::-1][:SHOWN]),
        float(rec.active_share[layer - 1][unit]),
        float(values.mean()),
        values,
        (counts, edges),
    )


def weight_image(classifier, unit: int) -> np.ndarray:
    """(28, 28): a first-layer unit's 784 incoming weights, the Dense kernel's column `unit`."""
    return classifier.layers[0].kernel[:, unit].reshape(IMAGE_SIDE, IMAGE_SIDE)


def input_picture(rec: Recording, images: np.ndarray, layer: int, unit: int) -> np.ndarray:
    """(28, 28) in [-1, 1]: the mean of a unit's PICTURE_TOP most exciting test digits minus the mean test digit.

    For any layer, this says which ink the digits it likes have more (+) or less (-) of than digits in general."""
    z = rec.pre[layer - 1][:, unit]
    top = np.argpartition(-z, PICTURE_TOP)[:PICTURE_TOP]
    return (images[top].mean(axis=0) - images.mean(axis=0)) / 255


def outgoing(classifier, layer: int, unit: int) -> np.ndarray:
    """(units of the next layer,) the weights from this unit to the next layer (the ten digits after the last)."""
    check(classifier, layer, unit)
    return classifier.layers[layer].kernel[unit]


@dataclass(frozen=True)
class LayerSummary:
    layer: int  # 1-based hidden layer
    units: int  # how many units it has
    dead: tuple[int, ...]  # units that never fire on the test images
    busiest: tuple[int, ...]  # the BUSIEST units that fire most often, busiest first
    shares: np.ndarray  # (units,) share of test images each unit fires on


def layer_summary(rec: Recording, layer: int) -> LayerSummary:
    shares = rec.active_share[layer - 1]
    busiest = np.argsort(-shares, kind="stable")[:BUSIEST]
    return LayerSummary(
        layer, len(shares), tuple(int(u) for u in np.flatnonzero(shares == 0)), tuple(int(u) for u in busiest), shares
    )


def drawing_activation(classifier, x28: np.ndarray, layer: int, unit: int) -> float:
    """One unit's output for one (28, 28) float input in [0, 1] (the session's drawing)."""
    _, post = classifier.forward(x28[None])
    return float(post[layer - 1][0, unit])


def input_pictures(rec: Recording, images: np.ndarray, layer: int, chunk: int = 128) -> np.ndarray:
    """(units, 28, 28): `input_picture` of every unit of a layer, computed a chunk of units at a time."""
    pre = rec.pre[layer - 1]  # (n, units)
    mean = images.mean(axis=0)
    units = pre.shape[1]
    out = np.empty((units, IMAGE_SIDE, IMAGE_SIDE), dtype=np.float32)
    for start in range(0, units, chunk):
        part = np.ascontiguousarray(pre[:, start : start + chunk].T)  # (c, n)
        top = np.argpartition(-part, PICTURE_TOP, axis=1)[:, :PICTURE_TOP]  # (c, PICTURE_TOP)
        out[start : start + chunk] = (images[top].mean(axis=1) - mean) / 255
    return out


def mosaic(pictures: np.ndarray, cols: int | None = None, gap: int = 1) -> np.ndarray:
    """(k, 28, 28) -> one (rows * 29 - 1, cols * 29 - 1) picture, row-major, each tile scaled to [-1, 1]
    by its own largest |value| (so a quiet unit's pattern still shows); NaN in the gaps and empty tiles."""
    k, side = len(pictures), pictures.shape[1]
    cols = cols or int(np.ceil(np.sqrt(k)))
    rows = int(np.ceil(k / cols))
    peak = np.abs(pictures).reshape(k, -1).max(axis=1)
    scaled = pictures / np.where(peak > 0, peak, 1)[:, None, None]
    step = side + gap
    out = np.full((rows * step - gap, cols * step - gap), np.nan, dtype=np.float32)
    for i, tile in enumerate(scaled):
        r, c = divmod(i, cols)
        out[r * step : r * step + side, c * step : c * step + side] = tile
    return out
