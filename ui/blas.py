"""One BLAS thread for the Draw page's per-stroke maths.

    with one_blas_thread():
        probs = classifier.predict_proba(x)

numpy's OpenBLAS splits even one drawing's (1, 784) @ (784, 1024) product over every core. When
the browser (or a training run) holds a core, the calling thread waits for a helper thread that
cannot run, and the helper's spin-wait takes CPU from whoever holds it: with Chrome drawing the
last stroke on this 2-core machine, one forward pass took 23 ms instead of 0.3 ms.
`openblas_set_num_threads_local` limits only the calling thread, so other sessions and pages
(the Errors page's batched evaluation) keep every core. A numpy without it is left as it is.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
from collections.abc import Iterator
from functools import cache

import numpy as np


@cache
def _set_local_threads():
    """OpenBLAS's per-thread setter from the library numpy ships with, or None."""
    for path in glob.glob(os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs", "*openblas*.so*")):
        try:
            setter = ctypes.CDLL(path).openblas_set_num_threads_local
        except (OSError, AttributeError):
            continue
        setter.argtypes, setter.restype = [ctypes.c_int], ctypes.c_int
        return setter
    return None


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    setter = _set_local_threads()
    if setter is None:
        yield
        return
    before = setter(1)  # returns the calling thread's previous setting
    try:
        yield
    finally:
        setter(before)
