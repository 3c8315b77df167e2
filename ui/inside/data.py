"""What the Inside page computes once per model file and keeps: st.cache_resource keyed by (name, sha256).

Resources, not st.cache_data: the recording of a 1024-1024 model is ~80 MB, and cache_data would
unpickle a copy of it on every rerun (every click). The cached objects are shared by all sessions
and never mutated. The MNIST test set comes from training.confusion.mnist_test (model/mnist.py's loader).
"""

from __future__ import annotations

import numpy as np
import streamlit as st
from PIL import Image

from model import Classifier, neurons
from model.hidden_space import HiddenMap, fit_map
from training import confusion
from ui.draw.images import png_data_uri, signed_picture

OVERVIEW_SHADES = 16  # colour steps from white to full red (and to full blue) in the layer overview
DRAWING_KEY = "draw_analysis"  # ui/draw/panel.py's MEMO_KEY: (key, Analysis) of the Draw page's last picture


def test_set() -> confusion.Dataset:
    return confusion.mnist_test()


@st.cache_resource(max_entries=4, show_spinner="Running the 10,000 test digits through every layer…")
def _recording(name: str, sha256: str, _classifier: Classifier) -> neurons.Recording:
    return neurons.record(_classifier, test_set().x)


def recording(classifier: Classifier) -> neurons.Recording:
    """All hidden layers over the MNIST test digits, computed once per model file."""
    return _recording(classifier.name, classifier.sha256, classifier)


@st.cache_resource(max_entries=8, show_spinner="Drawing every unit's picture…")
def _layer_pictures(name: str, sha256: str, layer: int, _classifier: Classifier) -> np.ndarray:
    if layer == 1:
        return _classifier.layers[0].kernel.T.reshape(-1, 28, 28)
    return neurons.input_pictures(recording(_classifier), test_set().x, layer)


def layer_pictures(classifier: Classifier, layer: int) -> np.ndarray:
    """(units, 28, 28): the first layer's weights, or a deeper layer's input pictures."""
    return _layer_pictures(classifier.name, classifier.sha256, layer, classifier)


@st.cache_resource(max_entries=8, show_spinner=False)
def _layer_tiles(name: str, sha256: str, layer: int, _classifier: Classifier) -> tuple[str, int, int]:
    pictures = layer_pictures(_classifier, layer)
    cols = int(np.ceil(np.sqrt(len(pictures))))
    tiles = neurons.mosaic(pictures, cols)
    # 16 shades a side (33 colours with white): a palette PNG of ~0.5 MB instead of 2 MB of RGB, re-sent every rerun
    steps = np.round(tiles * OVERVIEW_SHADES) / OVERVIEW_SHADES
    picture = signed_picture(steps).convert("P", palette=Image.Palette.ADAPTIVE, colors=2 * OVERVIEW_SHADES + 2)
    return png_data_uri(picture), cols, tiles.shape[1]


def layer_tiles(classifier: Classifier, layer: int) -> tuple[str, int, int]:
    """The layer overview's one picture as a PNG data URI, its tiles per row and its width in pixels."""
    return _layer_tiles(classifier.name, classifier.sha256, layer, classifier)


@st.cache_resource(max_entries=4, show_spinner="Mapping the last hidden layer…")
def _hidden(name: str, sha256: str, _classifier: Classifier) -> tuple[np.ndarray, HiddenMap]:
    rec = recording(_classifier)
    hidden = neurons.output(rec.pre[-1], rec.activations[-1])  # (n, units)
    return hidden, fit_map(hidden)


def hidden_space(classifier: Classifier) -> tuple[np.ndarray, HiddenMap]:
    """The last hidden layer's outputs (n, units) over the test digits, and its PCA map."""
    return _hidden(classifier.name, classifier.sha256, classifier)


def last_drawing() -> np.ndarray | None:
    """The Draw page's last drawing this session as a (28, 28) input, or None."""
    memo = st.session_state.get(DRAWING_KEY)
    steps = getattr(memo[1], "steps", None) if memo else None
    return None if steps is None else steps.image
