"""The hidden space: the 10,000 test digits on a 2-D PCA map of the last hidden layer, coloured by label;
your drawing as a star with its nearest test digits; a clicked dot shows that digit and how it was read."""

from __future__ import annotations

import numpy as np
import streamlit as st

from model import Classifier
from model.hidden_space import nearest
from training import confusion
from training.evaluate import Evaluation
from ui.charts import CHART_CONFIG
from ui.errors.charts import probability_figure
from ui.errors.gallery import enlarged
from ui.inside import charts, data
from ui.inside.gallery import digits_row

MAP_KEY, POINT_KEY = "inside_map", "inside_point"  # the chart, the clicked test index
POINT_PX = 168  # the clicked digit, 6x


def _on_map_click() -> None:
    index = charts.clicked_point(st.session_state[MAP_KEY].selection)
    if index is not None:
        st.session_state[POINT_KEY] = index


def _point_ui(dataset: confusion.Dataset, ev: Evaluation, index: int) -> None:
    true, said = int(ev.labels[index]), int(ev.predicted[index])
    verdict = "✓" if said == true else f"(wrong: {ev.probabilities[index, said]:.0%} sure)"
    st.markdown(f"**Test digit #{index}**: a {true}, read as **{said}** {verdict}")
    st.image(enlarged(dataset.x[index], POINT_PX), width=POINT_PX)
    st.plotly_chart(probability_figure(ev.probabilities[index], true), config=CHART_CONFIG, key="inside_point_bars")


def hidden_ui(
    classifier: Classifier, dataset: confusion.Dataset, ev: Evaluation, drawing_x: np.ndarray | None
) -> int | None:
    """Returns a test index to look at closer (one of the drawing's neighbours), or None."""
    hidden, space = data.hidden_space(classifier)
    layer = len(classifier.layers) - 1
    st.subheader(f"The hidden space: layer {layer} as a map")
    st.caption(
        f"Each dot is one of the 10,000 test digits, placed by its layer-{layer} activations ({hidden.shape[1]:,} "
        "numbers) squeezed onto the two directions along which they vary most (PCA). Digits the network "
        "finds alike sit together. **Click a dot** to see that digit."
    )
    drawing_h = None
    if drawing_x is not None:
        _, post = classifier.forward(drawing_x[None])
        drawing_h = post[layer - 1][0]
    map_col, point_col = st.columns([3, 1.3], gap="medium")
    with map_col:
        st.plotly_chart(
            charts.hidden_map_figure(
                space.xy,
                dataset.y,
                space.explained,
                None if drawing_h is None else space.project(drawing_h[None])[0],
                st.session_state.get(POINT_KEY),
            ),
            key=MAP_KEY,
            on_select=_on_map_click,
            selection_mode="points",
            config=CHART_CONFIG,
        )
    with point_col:
        index = st.session_state.get(POINT_KEY)
        if index is None:
            st.info("Click a dot on the map to see which test digit it is and how the network read it.")
        else:
            _point_ui(dataset, ev, int(index))
    if drawing_h is None:
        st.caption(
            "Draw on the Draw page and your drawing shows up on this map as a star, with its nearest test digits."
        )
        return None
    st.markdown(
        f"**Your drawing's nearest test digits** in layer {layer} (all {hidden.shape[1]:,} activations, "
        "not only the two the map shows), nearest first"
    )
    return digits_row(dataset, nearest(hidden, drawing_h, 9), key="inside_nearest")
