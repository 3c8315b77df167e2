"""Digit Lab's model package: preprocessing, the dense network, the registry and fast inference.

from model import to_mnist, Classifier
x = to_mnist(canvas_rgba)                   # (28, 28) float32 in [0, 1], or None when blank
p = Classifier.load().predict_proba(x[None])  # (1, 10)
"""

from model.inference import Classifier
from model.preprocess import to_mnist

__all__ = ["Classifier", "to_mnist"]
