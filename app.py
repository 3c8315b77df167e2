"""Digit Lab's Draw page: draw a digit and watch a dense network read it after every stroke.

    streamlit run app.py        # or: make run

Sidebar: which model reads the drawing (default: the active one) and any to compare with; a model
deleted in another tab is said once and dropped (a stroke notices it too: ui/draw/panel.py).
Then the live panel (an st.fragment: a stroke reruns only it) and My drawings.
"""

import streamlit as st

from model import Classifier
from model.registry import ModelRecord
from ui.draw.panel import live_panel
from ui.draw.teach import my_drawings_ui
from ui.models import classifier_for, model_multipicker, model_picker, model_records
from ui.nav import sidebar_nav
from ui.perf import tune_server
from ui.stores import start_workers_soon
from ui.workspace import lab

st.set_page_config(page_title="Digit Lab · Draw", page_icon=":material/draw:", layout="wide")
tune_server()
lab()  # on a shared server, the visitor's own workspace (from the URL's key); else the local one
start_workers_soon()  # this server's training workers, if it has any (DIGITLAB_WORKERS)
sidebar_nav()


def deleted_notice(records: list[ModelRecord]) -> str | None:
    """A sentence when a model the pickers hold is gone (deleted in another tab?); the pickers then drop it."""
    names = {record.name for record in records}
    active = next((record.name for record in records if record.active), records[0].name)
    reader = st.session_state.get("draw_model")
    sentences = (
        [
            f"The model {reader!r} no longer exists (deleted in another tab?), so the active model, "
            f"{active!r}, reads your drawing now."
        ]
        if reader is not None and reader not in names
        else []
    )
    sentences += [
        f"The model {name!r} no longer exists (deleted in another tab?), so it is not compared any more."
        for name in st.session_state.get("draw_compare", [])
        if name not in names
    ]
    return " ".join(sentences) or None


def models_ui() -> dict[str, Classifier]:
    """Sidebar pickers -> {name: Classifier}, the reading model first."""
    with st.sidebar:
        st.header("Model")
        records = model_records()
        notice = deleted_notice(records)  # before the pickers, which fall back to the active model
        reader = model_picker(
            "Reads your drawing",
            key="draw_model",
            records=records,
            help="Defaults to the active model; Train makes more.",
        )
        accuracy = f"{reader.accuracy:.2%} on MNIST's test digits" if reader.accuracy is not None else "not tested yet"
        st.caption(f"{reader.arch.describe()} · {reader.params:,} parameters · {accuracy}")
        others = model_multipicker(
            "Compare with",
            key="draw_compare",
            records=records,
            exclude=reader.name,
            help="Draw once, see every chosen model's probabilities side by side.",
        )
    models = {record.name: classifier_for(record) for record in [reader, *others]}
    # one container, there on every run: a notice that came and went would move the canvas below it, and
    # the browser would mount it afresh, empty
    with st.container():
        if notice:
            st.warning(notice, icon=":material/delete:")
        for classifier in models.values():
            if classifier.warning:
                st.warning(classifier.warning)
    return models


st.title("Draw a digit")
st.caption(
    "A dense neural network trained on MNIST's handwritten digits reads your drawing after every stroke. "
    "See what it sees, why it decided, and teach it when it is wrong."
)
live_panel(models_ui())
st.divider()
my_drawings_ui()
