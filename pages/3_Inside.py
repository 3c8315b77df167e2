"""Inside page: every neuron of a model, what it responds to across the 10,000 MNIST test digits.

    streamlit run app.py        # then "Inside" in the sidebar (URL path /Inside)
    /Inside?model=NAME&layer=1&unit=17                       # a deep link; every parameter optional
    /Inside?model=NAME&epoch=E                               # the model's replay at epoch E

Pickers (model, layer, unit; mirrored in the URL) -> tabs: the neuron inspector, the layer overview
(every unit as one clickable picture; dead and busiest units), the hidden space (PCA map, your drawing),
the replay of how the model learned (ui/inside/replay.py; its epoch is in the URL while that tab is open).
A clicked test digit opens the Errors page's sample dialog.
"""

import streamlit as st

from training.data import DataError
from ui.errors.gallery import sample_dialog
from ui.errors.loaders import evaluation
from ui.inside import data
from ui.inside.choice import chosen, linked_epoch, pickers_ui, sync_link
from ui.inside.hidden import hidden_ui
from ui.inside.inspector import inspector_ui
from ui.inside.overview import INSPECTOR_TAB, TAB_KEY, overview_ui
from ui.inside.replay import REPLAY_TAB, replay_ui
from ui.nav import sidebar_nav
from ui.perf import tune_server
from ui.stores import start_workers_soon
from ui.workspace import lab

TABS = [INSPECTOR_TAB, "Layer overview", "Hidden space", REPLAY_TAB]

st.set_page_config(page_title="Inside · Digit Lab", page_icon=":material/neurology:", layout="wide")
tune_server()
lab()  # on a shared server, the visitor's own workspace (from the URL's key); else the local one
start_workers_soon()  # this server's training workers, if it has any (DIGITLAB_WORKERS)
sidebar_nav()
st.title("Inside the network")
st.caption(
    "A dense network is layers of neurons, each adding up weighted inputs and firing when the sum is high "
    "enough. Pick any neuron and see what it responds to across the 10,000 MNIST test digits."
)

epoch_link = linked_epoch()  # a new link to the replay's epoch E: read before sync_link() rewrites the URL
classifier, notices = chosen()  # before the pickers: a deep link or a deleted model may set them
for notice in notices:
    st.warning(notice)
if len(classifier.layers) < 2:
    st.info(
        f"The model {classifier.name!r} has no hidden layers: every pixel votes for every digit directly, "
        "so there are no neurons to look inside. Pick another model."
    )
    st.stop()
pickers_ui(classifier)
if epoch_link is not None:
    st.session_state[TAB_KEY] = REPLAY_TAB
replay_open = st.session_state.get(TAB_KEY) == REPLAY_TAB
sync_link(st.query_params.get("epoch") if replay_open else None)  # the replay then writes the epoch it shows
try:
    test_digits = data.test_set()
except DataError as error:
    st.error(str(error))
    st.stop()

rec, drawing = data.recording(classifier), data.last_drawing()
layer, unit = st.session_state.inside_layer, st.session_state.inside_unit
neuron_tab, overview_tab, space_tab, replay_tab = st.tabs(TABS, key=TAB_KEY, on_change="rerun")
clicked = None
if neuron_tab.open:
    with neuron_tab:
        clicked = inspector_ui(classifier, rec, test_digits, layer, unit, drawing)
if overview_tab.open:
    with overview_tab:
        overview_ui(classifier, rec, layer, unit)
if space_tab.open:
    with space_tab:
        clicked = hidden_ui(classifier, test_digits, evaluation(classifier, test_digits), drawing)
if replay_tab.open:
    with replay_tab:
        replay_ui(classifier, epoch_link, on_point=sync_link)

if clicked is not None:
    sample_dialog(classifier, test_digits, evaluation(classifier, test_digits), clicked)
