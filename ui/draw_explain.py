"""What the network sees (the preprocessing steps) and why it decided (saliency, hidden layers)."""

from __future__ import annotations

import streamlit as st

from model import Classifier
from model.explain import EMPTY, SALIENCY_METHODS, Verdict, hidden_layers, saliency
from model.preprocess import BOX_SIDE, Steps
from ui.draw_images import field_picture, find_ink_picture, ink_picture, signed_picture

SALIENCY_KEY = "draw_saliency"
INPUT_PX = 224  # on-screen size of 28x28 pictures (8 px per input pixel)
GRID_PX = 196  # on-screen size of a hidden layer's neuron grid


def sees_ui(steps: Steps | None) -> None:
    st.subheader("What the network sees")
    st.caption("The network only ever sees a 28×28 grid of numbers. Your drawing is turned into one the way "
               "MNIST's digits were made, which is why a small or off-centre drawing still works.")
    if steps is None:
        st.caption("Nothing to show yet: draw something.")
        return
    crop, box, field, _ = st.columns([3, 3, 4, 3], vertical_alignment="bottom")
    with crop:
        st.image(find_ink_picture(steps), width=168)
        st.caption("**1 · Find the ink** and crop to it: where you drew stops mattering.")
    with box:
        st.image(ink_picture(steps.box, cell=7), width=7 * max(steps.box.shape[1], 1))
        st.caption(f"**2 · Scale** the longer side to {BOX_SIDE} px: how big you drew stops mattering.")
    with field:
        st.image(field_picture(steps), width=INPUT_PX)
        st.caption("**3 · Centre** its centre of mass (the cross) in a 28×28 field: the network's input.")


def why_ui(steps: Steps | None, verdict: Verdict, classifier: Classifier) -> None:
    st.subheader("Why it decided")
    if steps is None or verdict.state == EMPTY:
        st.caption("Draw something to see which strokes and which neurons the decision rests on.")
        return
    digit = verdict.digit
    views = hidden_layers(classifier, steps.image)
    heat_col, *layer_cols = st.columns([4] + [3] * max(len(views), 1))
    with heat_col:
        method = st.segmented_control("Saliency", SALIENCY_METHODS, default=SALIENCY_METHODS[0], key=SALIENCY_KEY,
                                      label_visibility="collapsed") or SALIENCY_METHODS[0]
        st.image(signed_picture(saliency(classifier, steps.image, digit, method), cell=8), width=INPUT_PX)
        how = "ink × the gradient of its score" if method == SALIENCY_METHODS[0] else "how much blanking that spot costs"
        st.caption(f"**Saliency** for **{digit}**: red ink pushed towards it, blue ink away ({how}).")
    if not views:
        layer_cols[0].caption("This model has no hidden layers: every pixel votes for every digit directly.")
    for column, view in zip(layer_cols, views):
        with column:
            cell = max(1, GRID_PX // view.grid.shape[1])
            st.image(signed_picture(view.grid, cell=cell), width=cell * view.grid.shape[1])
            st.caption(f"**Hidden layer {view.index}**: {view.values.size} {view.activation} neurons, "
                       f"{view.active:.0%} active (red = firing).")
            if view.top_units:
                units = ", ".join(f"#{u}" for u in view.top_units)
                st.caption(f"Neurons {units} pushed hardest towards {digit}.")
