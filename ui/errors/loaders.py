"""Model checks and cached evaluations for the Errors page.

Models come from ui/models.py's `load_classifier` (an st.cache_resource keyed by name + sha256),
after checking the file here so a model deleted or damaged in another tab gets a clear sentence.
Evaluations are cached as data keyed by (model name, sha256, dataset fingerprint): clicking around
the page never recomputes them.
"""

from __future__ import annotations

import streamlit as st

from model import Classifier
from model.registry import RegistryError
from model.store import ModelFileError
from training import confusion
from training.evaluate import Evaluation
from ui.models import load_classifier, record_label, registry
from ui.stores import drawing_store


def model_names() -> tuple[list[str], str]:
    """Every registry model's name (newest first, bundled default last) and the active one."""
    records = registry().records()
    return [r.name for r in records], next((r.name for r in records if r.active), records[-1].name)


def model_label(name: str) -> str:
    """A picker's label for a model name (the name alone once it is gone)."""
    try:
        return record_label(registry().get(name))
    except RegistryError:
        return name


def load_model(name: str) -> tuple[Classifier | None, str | None]:
    """The named model, or (None, one sentence) when it was deleted or its file is damaged."""
    try:
        record = registry().get(name)
        registry().verify(record)  # the file may have been damaged since it was cached
    except RegistryError:
        return None, f"The model {name!r} no longer exists (it may have been deleted in another tab)."
    except ModelFileError as error:
        return None, f"Cannot use model {name!r}: {error}"
    return load_classifier(record.name, record.sha256), None


def active_model() -> Classifier:
    """The active model; Classifier.load falls back to the bundled default (with .warning) if it is damaged."""
    record = registry().get(registry().active_name())
    try:
        registry().verify(record)
    except ModelFileError:
        return Classifier.load(registry=registry())  # uncached: the fallback carries a warning for this run
    return load_classifier(record.name, record.sha256)


def dataset(key: str) -> confusion.Dataset:
    """The MNIST test set (in-process cached by model.mnist) or My drawings (read fresh: it grows)."""
    return confusion.mnist_test() if key == confusion.MNIST_TEST else confusion.my_drawings(drawing_store())


@st.cache_data(max_entries=16, show_spinner="Evaluating the model on every image…")
def _evaluation(
    name: str, sha256: str, fingerprint: str, _classifier: Classifier, _data: confusion.Dataset
) -> Evaluation:
    return confusion.evaluate_on(_classifier, _data)


def evaluation(classifier: Classifier, data: confusion.Dataset) -> Evaluation:
    """The model's predictions and metrics on the dataset, computed once per (model, file, dataset)."""
    return _evaluation(classifier.name, classifier.sha256, data.fingerprint, classifier, data)
