"""The Streamlit server's latency tuning, in one place; each setting is explained in docs/latency.md.

tune_server()                 # once at the top of every page script
with one_blas_thread():       # around a stroke's maths (ui/draw/panel.py)
    probs = classifier.predict_proba(x)
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import sys
from collections.abc import Iterator
from functools import cache

import numpy as np

GIL_SWITCH_INTERVAL = 0.001  # s; Python's default 5 ms held the reading's messages back (docs/latency.md#gil)
READING_HEAD_START = (
    0.08  # s between sending a stroke's reading and making its explanations (docs/latency.md#head-start)
)


def tune_server() -> None:
    """The server process' settings; idempotent, so every page can call it on every run."""
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    _plain_component_data_skips_the_dataframe_check()


@cache
def _plain_component_data_skips_the_dataframe_check() -> None:
    """Streamlit asks of each value given to a component whether it is a dataframe, which imports pandas and
    pyarrow even for the canvas' plain settings: about half the first run (docs/latency.md#the-first-page)."""
    try:  # Streamlit 1.67's internals: after an upgrade that moves them, pages run without the shortcut
        from streamlit.components.v2.bidi_component import serialization

        is_dataframe_like = serialization.is_dataframe_like
    except (ImportError, AttributeError):
        return
    serialization.is_dataframe_like = lambda value: not plain_json(value) and is_dataframe_like(value)


def plain_json(value: object, limit: int = 1000) -> bool:
    """True if `value` is dicts with str keys, lists, str, int, float, bool and None only, so never a dataframe
    (False after `limit` items: the full check decides)."""
    stack = [value]
    while stack:
        limit -= 1
        item = stack.pop()
        if limit < 0:
            return False
        if type(item) is dict:
            if not all(type(key) is str for key in item):
                return False
            stack.extend(item.values())
        elif type(item) is list:
            stack.extend(item)
        elif item is not None and type(item) not in (str, int, float, bool):
            return False
    return True


@cache
def _set_local_threads():
    """OpenBLAS's per-thread setter from the library numpy ships with, or None (docs/latency.md#blas)."""
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
    """One OpenBLAS thread for the calling thread only; other sessions keep every core (docs/latency.md#blas)."""
    setter = _set_local_threads()
    if setter is None:
        yield
        return
    before = setter(1)  # returns the calling thread's previous setting
    try:
        yield
    finally:
        setter(before)
