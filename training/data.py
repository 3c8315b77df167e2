"""MNIST for training code: the loader itself lives in model/mnist.py, below both model/ and training/.

    from training.data import DataError, load_mnist   # the very objects of model.mnist: one cache, one error type

Kept so training code, the pages, the benches and the tests import MNIST as before.
"""

from __future__ import annotations

from model.mnist import FETCHED_DIR, FILES, HOW_TO_GET, DataError, Split, load_mnist, parse_idx

__all__ = ["FETCHED_DIR", "FILES", "HOW_TO_GET", "DataError", "Split", "load_mnist", "parse_idx"]
