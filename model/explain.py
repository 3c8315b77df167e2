"""Why the network decided: a verdict on the drawing, saliency maps and hidden-layer summaries.

Pure NumPy, no Streamlit; the Draw page turns these arrays into pictures.

    from model.explain import judge, saliency, hidden_layers
    verdict = judge(steps, probs)              # empty / not a digit / not sure / confident
    heat = saliency(clf, x28, verdict.digit)   # (28, 28): which pixels pushed the top class
    layers = hidden_layers(clf, x28)           # one LayerView per hidden Dense layer
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.preprocess import Steps
from model.spec import IMAGE_SIDE

# --- the verdict: when to say "not sure" or "not a digit" instead of a digit ------------------

UNSURE_BELOW = 0.6  # top probability under this -> "not sure": we say so rather than shout a guess
MIN_INK_SPAN = 0.08  # ink's longer side under this fraction of the picture's shorter side -> a dot
MAX_INK_COVER = 0.40  # more than this fraction of the picture inked -> a scribble or a fill
MIN_ASPECT = 0.3  # ink height under this fraction of its width -> a dash; digits are upright or square

EMPTY, NOT_A_DIGIT, UNSURE, CONFIDENT = "empty", "not a digit", "not sure", "confident"


@dataclass(frozen=True)
class Verdict:
    state: str  # EMPTY, NOT_A_DIGIT, UNSURE or CONFIDENT
    digit: int | None  # the network's top class; None when there is nothing to classify
    confidence: float  # probability of `digit`, 0..1 (0 when empty)
    reason: str  # one sentence for the user

    @property
    def shown(self) -> str:
        """What the Prediction display shows: the digit only when the network is confident."""
        if self.state == CONFIDENT:
            return str(self.digit)
        return "—" if self.state == EMPTY else "?"


def ink_problem(steps: Steps) -> str | None:
    """A sentence saying why this ink is not a digit, or None if it could be one.

    Judged on the picture before scaling (the 28x28 input always looks digit-sized):
    a dot is tiny relative to the canvas, a scribble or fill covers much of it, a dash is flat.
    """
    ink = steps.ink_u8  # (H, W) uint8, 255 = full ink
    h, w = ink.shape
    top, left, bottom, right = steps.bbox
    span = max(bottom - top, right - left) / min(h, w)
    if span < MIN_INK_SPAN:
        return "That is a dot, not a digit: draw bigger."
    cover = float((ink >= max(1, int(ink.max()) // 2)).mean())  # at least half as dark as the strongest stroke
    if cover > MAX_INK_COVER:
        return f"Ink covers {cover:.0%} of the picture: that looks like a scribble, not a digit."
    if (bottom - top) < MIN_ASPECT * (right - left):
        return "That is a flat line, not a digit: digits are at least a third as tall as they are wide."
    return None


def judge(steps: Steps | None, probs: np.ndarray | None) -> Verdict:
    """Turn preprocessing steps and (10,) probabilities into what the page should say."""
    if steps is None or probs is None:
        return Verdict(EMPTY, None, 0.0, "Draw a digit from 0 to 9 and the network will read it.")
    digit, confidence = int(np.argmax(probs)), float(np.max(probs))
    problem = ink_problem(steps)
    if problem:
        return Verdict(NOT_A_DIGIT, digit, confidence, problem)
    if confidence < UNSURE_BELOW:
        runner_up = int(np.argsort(probs)[-2])
        return Verdict(
            UNSURE,
            digit,
            confidence,
            f"Not sure: maybe a {digit} ({confidence:.0%}), maybe a {runner_up} ({probs[runner_up]:.0%}).",
        )
    return Verdict(CONFIDENT, digit, confidence, f"The network reads a {digit} with {confidence:.0%} confidence.")


# --- saliency: which pixels of the 28x28 input pushed the top class ---------------------------

OCCLUSION_PATCH = 4  # side of the square of input pixels blanked at a time
OCCLUSION_STRIDE = 2  # step between patches; patches overlap so the map is smooth
TINY = 1e-12  # probabilities are floored here before the log


def occlusion(
    predict_proba, x: np.ndarray, target: int, patch: int = OCCLUSION_PATCH, stride: int = OCCLUSION_STRIDE
) -> np.ndarray:
    """(28, 28) drop in log P(target) when each pixel's neighbourhood is blanked (positive = that ink mattered).

    Log-probabilities, because a confident network's P(target) sits at 0.9999 whichever patch goes:
    the log still shows which ink it leans on. Only patches holding ink are tried (blanking
    background changes nothing), all in one batch.
    """
    starts = range(0, IMAGE_SIDE - patch + 1, stride)
    corners = [(r, c) for r in starts for c in starts if x[r : r + patch, c : c + patch].any()]
    heat, hits = np.zeros_like(x, dtype=np.float32), np.zeros_like(x, dtype=np.float32)
    if not corners:
        return heat
    batch = np.repeat(x[None].astype(np.float32), len(corners), axis=0)  # (k, 28, 28)
    for i, (r, c) in enumerate(corners):
        batch[i, r : r + patch, c : c + patch] = 0.0
    base = np.log(max(float(predict_proba(x[None])[0, target]), TINY))
    drops = base - np.log(np.maximum(predict_proba(batch)[:, target], TINY))  # (k,)
    for drop, (r, c) in zip(drops, corners):
        heat[r : r + patch, c : c + patch] += drop
        hits[r : r + patch, c : c + patch] += 1
    return np.divide(heat, hits, out=np.zeros_like(heat), where=hits > 0)


SALIENCY_METHODS = ("Input gradient", "Occlusion")


def saliency(classifier, x: np.ndarray, target: int, method: str = SALIENCY_METHODS[0]) -> np.ndarray:
    """(28, 28) signed map for `target`: red where ink raises its score, blue where it lowers it.

    "Input gradient": gradient x input, d logit[target] / d pixel times the pixel, so only drawn
    ink lights up and it reads "this stroke helped". "Occlusion": how much P(target) drops when
    a patch of the input is blanked (in log-probability).
    """
    if method == "Occlusion":
        return occlusion(classifier.predict_proba, x, target)
    if method != "Input gradient":
        raise ValueError(f"saliency method must be one of {', '.join(SALIENCY_METHODS)}, got {method!r}.")
    return classifier.logit_gradient(x, target) * x  # gradient x input: each drawn pixel's share


# --- hidden layers: what the neurons do for this drawing --------------------------------------

ACTIVE_ABOVE = {"sigmoid": 0.5}  # a neuron counts as active above this output; 0 for the others


@dataclass(frozen=True)
class LayerView:
    index: int  # 1-based hidden layer number
    activation: str  # its activation function
    values: np.ndarray  # (units,) float32: the layer's outputs for this drawing
    grid: np.ndarray  # (rows, cols) float32: values laid out in a near-square grid, NaN padding
    active: float  # fraction of neurons above their activation's resting level, 0..1
    top_units: tuple[int, ...]  # the units that pushed the top class hardest (last hidden layer only)


def as_grid(values: np.ndarray) -> np.ndarray:
    """(n,) -> (rows, cols) with cols = ceil(sqrt(n)), row-major, NaN where there is no neuron."""
    n = values.size
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    grid = np.full(rows * cols, np.nan, dtype=np.float32)
    grid[:n] = values
    return grid.reshape(rows, cols)


def hidden_layers(classifier, x: np.ndarray, top: int = 5) -> list[LayerView]:
    """One LayerView per hidden Dense layer for one (28, 28) input (none for softmax regression)."""
    _, post = classifier.forward(x[None])
    target = int(np.argmax(post[-1][0]))
    views = []
    hidden = classifier.layers[:-1]
    for i, (layer, out) in enumerate(zip(hidden, post[:-1])):
        values = out[0].astype(np.float32)
        top_units: tuple[int, ...] = ()
        if i == len(hidden) - 1:  # contribution of each last-layer neuron to the top class's logit
            push = values * classifier.layers[-1].kernel[:, target]
            top_units = tuple(int(u) for u in np.argsort(push)[::-1][:top] if push[u] > 0)
        active = float((values > ACTIVE_ABOVE.get(layer.activation, 0.0)).mean())
        views.append(LayerView(i + 1, layer.activation, values, as_grid(values), active, top_units))
    return views
