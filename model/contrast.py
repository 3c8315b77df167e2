"""Why this digit and not that one: the score difference of two digits, split pixel by pixel.

For a ReLU network each drawing fixes which units fire, and with that fixed the network is linear:

    score_a(x) - score_b(x) = sum_i x_i * (J_a,i - J_b,i) + bias(x)

J the Jacobian of the scores (logits) at x, bias(x) the biases carried through the units that fire.
For activations that are not piecewise linear (sigmoid, tanh, gelu, elu, selu) the same split uses
each unit's slope at x, so it is an approximation: `residual` is what it leaves out.

    from model.contrast import contrast
    c = contrast(classifier, x28, digit=7, versus=1)
    c.contributions.sum() + c.bias + c.residual == c.logit_difference
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.inference import ACTIVATIONS

PIECEWISE_LINEAR = ("relu",)  # activations for which the split is exact


@dataclass(frozen=True)
class Contrast:
    digit: int  # the digit explained (usually the network's answer)
    versus: int  # the digit it is compared with (by default the runner-up)
    logit_difference: float  # score_digit(x) - score_versus(x)
    contributions: np.ndarray  # (28, 28) float64: x_i * (J_digit,i - J_versus,i), each pixel's share
    bias: float  # the biases' share, carried through the units as they are for this x
    residual: float  # logit_difference - contributions.sum() - bias: ~0 (rounding) when `exact`
    exact: bool  # every hidden activation is piecewise linear, so the split is exact

    @property
    def approximate(self) -> tuple[str, ...]:
        """What is not exact, as words for the page: empty for a ReLU network."""
        return () if self.exact else ("the pixel contributions and the bias use each neuron's slope at this drawing",)


def runner_up(classifier, x: np.ndarray) -> tuple[int, int]:
    """(the top digit, the second most likely digit) for one (28, 28) input."""
    order = np.argsort(-classifier.predict_proba(x[None])[0], kind="stable")
    return int(order[0]), int(order[1])


def contrast(classifier, x: np.ndarray, digit: int, versus: int) -> Contrast:
    """Split score_digit - score_versus for one (28, 28) float input in [0, 1]."""
    pre, _ = classifier.forward(x[None])
    logits = pre[-1][0].astype(np.float64)
    # J_digit - J_versus through the existing backward pass (its float32 rounding stays far under 1e-4)
    gradient = classifier.logit_gradient(x, digit).astype(np.float64) - classifier.logit_gradient(x, versus)
    # the biases' path: run the network on a blank input with every unit's slope frozen at its value for x
    # (float32 products like the forward pass: a float64 copy of a 1024x1024 kernel would cost more than all the rest)
    carried = np.zeros(0, dtype=np.float32)
    for layer, z in zip(classifier.layers[:-1], pre[:-1]):
        slope = ACTIVATIONS[layer.activation][1](z[0])
        carried = slope * ((carried @ layer.kernel if carried.size else 0.0) + layer.bias)
    last = classifier.layers[-1]
    direction = last.kernel[:, digit].astype(np.float64) - last.kernel[:, versus]
    bias = float(
        (carried.astype(np.float64) @ direction if carried.size else 0.0) + last.bias[digit] - last.bias[versus]
    )
    contributions = x.astype(np.float64) * gradient
    difference = float(logits[digit] - logits[versus])
    exact = all(layer.activation in PIECEWISE_LINEAR for layer in classifier.layers[:-1])
    return Contrast(
        digit, versus, difference, contributions, bias, difference - float(contributions.sum()) - bias, exact
    )
