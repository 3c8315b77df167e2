"""Errors page: where the model goes wrong, and the images behind every mistake.

    streamlit run app.py        # then "Errors" in the sidebar (URL path /Errors)

Pickers (model, images) -> accuracy, loss, CSV -> clickable confusion matrix | images behind the
clicked cell -> tabs: most confident mistakes, per-class report, two-model comparison.
An "Inspect" button on any image opens its detail dialog.
"""

import streamlit as st

from ui.errors import loaders
from ui.errors.gallery import sample_dialog
from ui.errors.views import (
    cell_ui,
    chosen_model,
    compare_ui,
    dataset_picker_ui,
    matrix_ui,
    metrics_ui,
    mistakes_ui,
    model_picker_ui,
    report_ui,
)
from ui.nav import sidebar_nav
from ui.perf import tune_server
from ui.stores import start_workers_soon
from ui.workspace import lab

st.set_page_config(page_title="Errors · Digit Lab", page_icon=":material/troubleshoot:", layout="wide")
tune_server()
lab()  # on a shared server, the visitor's own workspace (from the URL's key); else the local one
start_workers_soon()  # this server's training workers, if it has any (DIGITLAB_WORKERS)
sidebar_nav()
state = st.session_state
state.setdefault("errors_model", loaders.model_names()[1])  # the active model
state.setdefault("errors_cell", None)  # (true, predicted) of the clicked cell

st.title("Errors")
st.caption(
    "Even a network that is right 99% of the time is wrong about a hundred times on 10,000 images. "
    "Here you can see which digits it mixes up, and look at every one of those images."
)

classifier, notice = chosen_model()  # before the picker: a model deleted elsewhere resets it
if notice:
    st.warning(notice)
model_col, data_col = st.columns(2)
with model_col:
    model_picker_ui()
with data_col:
    data = dataset_picker_ui()
if data is None:
    st.stop()

ev = loaders.evaluation(classifier, data)
metrics_ui(classifier, data, ev)

matrix_col, cell_col = st.columns(2, gap="medium")
with matrix_col:
    matrix_ui(ev)
with cell_col:
    inspect = cell_ui(data, ev, classifier)

mistakes_tab, report_tab, compare_tab = st.tabs(["Most confident mistakes", "Per-class report", "Compare two models"])
with mistakes_tab:
    inspect = mistakes_ui(data, ev, classifier) or inspect
with report_tab:
    report_ui(ev)
with compare_tab:
    inspect = compare_ui(classifier, data, ev) or inspect

if inspect is not None:
    sample_dialog(inspect.classifier, data, inspect.ev, inspect.pos)
