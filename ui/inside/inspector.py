"""The neuron inspector: what one unit looks for, the test digits it likes most and least, how often it
fires, what it votes for and what it does with your drawing. Returns a test index to look at closer."""

from __future__ import annotations

import numpy as np
import streamlit as st

from model import Classifier, neurons
from training import confusion
from ui.charts import CHART_CONFIG
from ui.inside import charts
from ui.inside.gallery import digits_row

LAYER_KEY, UNIT_KEY = "inside_layer", "inside_unit"
STRONGEST = 6  # outgoing connections listed for a unit that is not in the last hidden layer


def _go_to(layer: int, unit: int) -> None:
    st.session_state[LAYER_KEY], st.session_state[UNIT_KEY] = layer, unit


def _picture_ui(classifier: Classifier, rec: neurons.Recording, data: confusion.Dataset, layer: int, unit: int) -> None:
    st.markdown("**What it looks for**")
    if layer == 1:
        st.plotly_chart(
            charts.picture_figure(neurons.weight_image(classifier, unit), "weight"),
            config=CHART_CONFIG,
            key="inside_picture",
        )
        st.caption(
            "Its 784 incoming weights, one per input pixel: ink on red pixels makes it fire, ink on blue "
            "pixels holds it back."
        )
    else:
        st.plotly_chart(
            charts.picture_figure(neurons.input_picture(rec, data.x, layer, unit), "ink difference"),
            config=CHART_CONFIG,
            key="inside_picture",
        )
        st.caption(
            f"Its weights come from layer {layer - 1}'s units, not from pixels, so this picture is measured "
            f"instead: the average of the {neurons.PICTURE_TOP} test digits that excite it most minus the "
            "average test digit. Red: ink they have more of; blue: ink they lack."
        )


def _activity_ui(view: neurons.NeuronView, drawing: float | None) -> None:
    st.markdown("**How often it fires**")
    counts, edges = view.histogram
    st.plotly_chart(charts.histogram_figure(counts, edges, drawing), config=CHART_CONFIG, key="inside_histogram")
    rest = "above 0.5 (sigmoid rests at 0.5)" if view.activation == "sigmoid" else "above 0"
    st.caption(
        f"Its output on each of the 10,000 test digits (counts on a log scale). It fires (output {rest}) "
        f"on {view.active_share:.1%} of them."
    )


def _votes_ui(classifier: Classifier, layer: int, unit: int) -> None:
    st.markdown("**What it votes for**")
    weights = neurons.outgoing(classifier, layer, unit)
    if layer == neurons.hidden_count(classifier):
        st.plotly_chart(charts.votes_figure(weights), config=CHART_CONFIG, key="inside_votes")
        st.caption(
            "Its outgoing weights to the ten digits' scores: whenever it fires, its output times each "
            "weight is added to that digit's score."
        )
        return
    strongest = np.argsort(-np.abs(weights), kind="stable")[:STRONGEST]
    st.caption(f"Its {len(weights):,} outgoing weights go to layer {layer + 1}'s units; the strongest:")
    with st.container(horizontal=True, gap="small"):
        for target in strongest:
            st.button(
                f"#{int(target)} {weights[target]:+.2f}",
                key=f"inside_next_{int(target)}",
                type="secondary",
                on_click=_go_to,
                args=(layer + 1, int(target)),
                help=f"Open layer {layer + 1}'s unit {int(target)}",
            )


def inspector_ui(
    classifier: Classifier,
    rec: neurons.Recording,
    data: confusion.Dataset,
    layer: int,
    unit: int,
    drawing_x: np.ndarray | None,
) -> int | None:
    view = neurons.neuron(classifier, rec, layer, unit)
    drawing = None if drawing_x is None else neurons.drawing_activation(classifier, drawing_x, layer, unit)
    st.subheader(f"Layer {layer} · unit {unit}")
    fires, mean, yours = st.columns(3)
    fires.metric("Fires on", f"{view.active_share:.1%}", help="Share of the 10,000 MNIST test digits it fires on.")
    mean.metric(
        "Mean output", f"{view.mean_activation:.3f}", help=f"Its mean {view.activation} output on the test digits."
    )
    yours.metric(
        "On your drawing",
        "—" if drawing is None else f"{drawing:.3f}",
        help="Its output for the last drawing on the Draw page this session.",
    )
    if drawing is None:
        st.caption("Draw on the Draw page and this shows what the unit makes of your drawing.")
    picture_col, activity_col, votes_col = st.columns(3, gap="medium")
    with picture_col:
        _picture_ui(classifier, rec, data, layer, unit)
    with activity_col:
        _activity_ui(view, drawing)
    with votes_col:
        _votes_ui(classifier, layer, unit)

    st.markdown("**The 9 test digits that excite it most**, most first")
    clicked = digits_row(data, view.top, key="inside_top")
    st.markdown("**The 9 that excite it least**, least first")
    least = digits_row(data, view.bottom, key="inside_bottom")
    clicked = least if least is not None else clicked
    st.caption(
        "Ranked by the unit's input before its activation function, which orders digits as its output "
        "does wherever it fires (ReLU's zeros would all tie). Click a number for a closer look."
    )
    return clicked
