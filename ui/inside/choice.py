"""Which model, layer and unit the Inside page shows: from a deep link, the pickers, or a click.

Session state: inside_model, inside_layer (1-based), inside_unit (0-based) hold the choice;
inside_synced the query parameters this page last wrote. The URL always mirrors the choice (and the
replay's epoch while that tab is open), so a URL that differs from inside_synced was typed or followed
(a link from another page): it wins. Everything invalid falls back to something valid with one sentence.
"""

from __future__ import annotations

import streamlit as st

from model import Classifier, neurons
from ui.errors import loaders
from ui.inside.inspector import LAYER_KEY, UNIT_KEY
from ui.inside.link import PARAMS, clamp, query, read_link

MODEL_KEY, SYNCED_KEY = "inside_model", "inside_synced"


def _link_params() -> dict[str, str]:
    return {name: st.query_params[name] for name in PARAMS if name in st.query_params}


def linked_epoch() -> str | None:
    """The replay epoch of a typed or followed link, not yet applied; None for no link or one this page wrote."""
    params = _link_params()
    return params.get("epoch") if params != st.session_state.get(SYNCED_KEY) else None


def chosen() -> tuple[Classifier, list[str]]:
    """The model to show (loaded), after applying a new deep link and fixing whatever is out of range.

    Runs before the pickers are drawn, so it may set their values."""
    state = st.session_state
    names, active = loaders.model_names()
    state.setdefault(MODEL_KEY, active)
    state.setdefault(LAYER_KEY, 1)
    state.setdefault(UNIT_KEY, 0)
    notices: list[str] = []
    params = _link_params()
    if params != state.get(SYNCED_KEY):  # typed or followed, not written by this page
        link, notices = read_link(params, names)
        state[MODEL_KEY] = link.model or (state[MODEL_KEY] if "model" not in params else active)
        state[LAYER_KEY] = link.layer if link.layer is not None else (1 if "layer" in params else state[LAYER_KEY])
        state[UNIT_KEY] = link.unit if link.unit is not None else (0 if "unit" in params else state[UNIT_KEY])
    if state[MODEL_KEY] not in names:
        notices.append(
            f"The model {state[MODEL_KEY]!r} no longer exists (deleted in another tab?), so this page "
            f"shows the active model, {active!r}."
        )
        state[MODEL_KEY] = active
    classifier, problem = loaders.load_model(state[MODEL_KEY])
    if problem:
        notices.append(f"{problem} Showing the active model, {active!r}, instead.")
        state[MODEL_KEY] = active
        classifier = loaders.active_model()
    sizes = neurons.layer_sizes(classifier)
    if sizes:
        state[LAYER_KEY], state[UNIT_KEY], out_of_range = clamp(int(state[LAYER_KEY]), int(state[UNIT_KEY]), sizes)
        notices += out_of_range
    return classifier, notices


def pickers_ui(classifier: Classifier) -> None:
    sizes = neurons.layer_sizes(classifier)
    names, _ = loaders.model_names()
    model_col, layer_col, unit_col = st.columns([2, 1, 1])
    model_col.selectbox("Model", names, key=MODEL_KEY, format_func=loaders.model_label)
    layer_col.selectbox(
        "Hidden layer",
        list(range(1, len(sizes) + 1)),
        key=LAYER_KEY,
        format_func=lambda n: f"{n} ({sizes[n - 1]:,} units)",
    )
    unit_col.number_input(
        "Unit",
        min_value=0,
        max_value=sizes[st.session_state[LAYER_KEY] - 1] - 1,
        step=1,
        key=UNIT_KEY,
        help="Type a unit's number, or click one in the layer overview.",
    )


def sync_link(epoch: str | None = None) -> None:
    """Write the choice into the URL (so it can be shared or bookmarked) and remember what was written.

    `epoch` is the replay's point while the Replay tab is open (the replay passes the one it shows), else None."""
    state = st.session_state
    params = query(state[MODEL_KEY], int(state[LAYER_KEY]), int(state[UNIT_KEY]), epoch)
    if _link_params() != params:
        st.query_params.from_dict(params)
    state[SYNCED_KEY] = params
