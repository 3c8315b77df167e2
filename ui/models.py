"""Model loading and model pickers for every page, cached deliberately.

    record = model_picker("Model", key="draw_model")          # a ModelRecord; default: the active model
    clf = load_classifier(record.name, record.sha256)        # one Classifier per model file, all sessions

`load_classifier` is an st.cache_resource keyed by name *and* sha256, so a retrained or
re-activated model is picked up on the next run while an unchanged one never reloads.
Classifiers are shared across sessions: never mutate one.
"""

from __future__ import annotations

import streamlit as st

from model import Classifier
from model.registry import ModelRecord
from ui.stores import registry


def model_records() -> list[ModelRecord]:
    """Every model, newest first, the bundled default last."""
    return registry().records()


@st.cache_resource(show_spinner="Loading the model…", max_entries=8)
def load_classifier(name: str, sha256: str) -> Classifier:
    """The Classifier for `name` (NumPy weights, no Keras); `sha256` only keys the cache so a replaced file
    loads afresh. A damaged file gives the bundled default with a `.warning`, which the pages show."""
    return Classifier.load(name, registry(), fallback=True)


def classifier_for(record: ModelRecord) -> Classifier:
    return load_classifier(record.name, record.sha256)


def record_label(record: ModelRecord) -> str:
    """'default · 97.21% (active)' for the pickers; the model a student's teacher shares says so."""
    accuracy = f" · {record.accuracy:.2%}" if record.accuracy is not None else ""
    shared = " · from your teacher" if record.from_class else ""
    return f"{record.name}{accuracy}{shared}{' (active)' if record.active else ''}"


def model_picker(
    label: str, key: str, records: list[ModelRecord] | None = None, help: str | None = None
) -> ModelRecord:
    """A selectbox of models, defaulting to the active one (and back to it if the chosen one was deleted)."""
    records = records if records is not None else model_records()
    by_name = {r.name: r for r in records}
    if st.session_state.get(key) not in by_name:
        st.session_state[key] = next((r.name for r in records if r.active), records[0].name)
    name = st.selectbox(label, list(by_name), key=key, format_func=lambda n: record_label(by_name[n]), help=help)
    return by_name[name]


def model_multipicker(
    label: str, key: str, records: list[ModelRecord] | None = None, exclude: str | None = None, help: str | None = None
) -> list[ModelRecord]:
    """A multiselect of models (none by default), leaving out `exclude`; forgets deleted models."""
    records = records if records is not None else model_records()
    by_name = {r.name: r for r in records if r.name != exclude}
    if key in st.session_state:
        st.session_state[key] = [n for n in st.session_state[key] if n in by_name]
    names = st.multiselect(label, list(by_name), key=key, format_func=lambda n: record_label(by_name[n]), help=help)
    return [by_name[n] for n in names]
