"""Train page: choose an architecture, watch it learn live, stop it, keep every model.

    streamlit run app.py        # then "Train" in the sidebar (URL path /Train)

Form (preset -> hidden layers -> settings -> name -> Train) | live panel (progress, curves, Stop,
then test accuracy and "make active") -> every model: sortable table, compare curves, activate/delete.
Train queues the run (training/queue.py); a worker, this server's own or one elsewhere, trains it in a child process.
"""

import streamlit as st

from training.presets import all_presets
from ui.models import registry
from ui.nav import sidebar_nav
from ui.perf import tune_server
from ui.stores import start_workers_soon, train_queue
from ui.train.form import form_ui, init_form
from ui.train.learning import learning_ui
from ui.train.live import curves_ui, live_ui
from ui.train.runs import runs_ui
from ui.workspace import lab

st.set_page_config(page_title="Train · Digit Lab", page_icon=":material/model_training:", layout="wide")
tune_server()
lab()  # on a shared server, the visitor's own workspace (from the URL's key); else the local one
start_workers_soon()  # this server's training workers, if it has any (DIGITLAB_WORKERS)
sidebar_nav()
models = registry()
presets = all_presets(models)
runner = train_queue()  # this lab's runs; a worker keeps TensorFlow warmed up, so a run starts at once
init_form(presets, models)

st.title("Train")
st.caption(
    "Build a network, train it on 60,000 handwritten digits and watch it learn. "
    "Every model you train is kept, so you can compare them and pick the one the Draw page uses."
)

form_col, live_col = st.columns([5, 7], gap="large")
with form_col:
    form_ui(presets, models, runner)
with live_col:
    live_ui(runner, models)
    curves_ui(runner)
    learning_ui(runner, models)

st.divider()
runs_ui(models)
