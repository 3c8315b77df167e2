"""What the network sees (the preprocessing steps) and why it decided (saliency, hidden layers, the neurons
that pushed hardest as links to the Inside page, and why this digit and not another one)."""

from __future__ import annotations

import streamlit as st

from model import Classifier
from model.contrast import contrast
from model.explain import EMPTY, SALIENCY_METHODS, Verdict, hidden_layers, saliency
from model.preprocess import BOX_SIDE, Steps
from ui.draw.images import Tile, field_picture, find_ink_picture, ink_picture, signed_picture, tiles_html
from ui.inside.link import neuron_links
from ui.inside.why_not import activation_name, picture_caption, sum_text, versus_picker

SALIENCY_KEY = "draw_saliency"
VERSUS_KEY = "draw_versus"  # the digit "why this digit and not that one" compares with
INPUT_PX = 224  # on-screen size of 28x28 pictures (8 px per input pixel)
GRID_PX = 168  # on-screen width of a hidden layer's neuron grid


def sees_heading() -> None:
    st.subheader("What the network sees")
    st.caption(
        "The network only ever sees a 28×28 grid of numbers. Your drawing is turned into one the way "
        "MNIST's digits were made, which is why a small or off-centre drawing still works."
    )


def sees_ui(steps: Steps | None) -> None:
    if steps is None:
        st.caption("Nothing to show yet: draw something.")
        return
    st.html(
        tiles_html(
            [
                Tile(
                    find_ink_picture(steps), 168, "**1 · Find the ink** and crop to it: where you drew stops mattering."
                ),
                Tile(
                    ink_picture(steps.box),
                    7 * steps.box.shape[1],
                    f"**2 · Scale** the longer side to {BOX_SIDE} px: how big you drew stops mattering.",
                ),
                Tile(
                    field_picture(steps),
                    INPUT_PX,
                    "**3 · Centre** its centre of mass (the cross) in a 28×28 field: the network's input.",
                ),
            ]
        )
    )


def why_heading() -> None:
    st.subheader("Why it decided")


def why_ui(steps: Steps | None, verdict: Verdict, classifier: Classifier) -> None:
    if steps is None or verdict.state == EMPTY:
        st.caption("Draw something to see which strokes and which neurons the decision rests on.")
        return
    digit = verdict.digit
    method = (
        st.segmented_control(
            "Saliency", SALIENCY_METHODS, default=SALIENCY_METHODS[0], key=SALIENCY_KEY, label_visibility="collapsed"
        )
        or SALIENCY_METHODS[0]
    )
    how = (
        "ink × the gradient of its score"
        if method == SALIENCY_METHODS[0]
        else "how much blanking that spot lowers its log-probability"
    )
    tiles = [
        Tile(
            signed_picture(saliency(classifier, steps.image, digit, method)),
            INPUT_PX,
            f"**Saliency** for {digit}: red ink pushed towards it, blue ink away ({how}).",
        )
    ]
    views = hidden_layers(classifier, steps.image)
    for view in views:
        tiles.append(
            Tile(
                signed_picture(view.grid),
                GRID_PX,
                f"**Hidden layer {view.index}**: {view.values.size} {view.activation} neurons, "
                f"{view.active:.0%} active (red = firing).",
            )
        )
    st.html(tiles_html(tiles))
    if not views:
        st.caption("This model has no hidden layers: every pixel votes for every digit directly.")
    elif views[-1].top_units:
        neuron_links(
            classifier.name,
            views[-1].index,
            views[-1].top_units,
            lead=f"Neurons of the last hidden layer that pushed hardest towards {digit} (open one to see "
            "what it looks for):",
        )
    why_not_ui(steps, digit, classifier)


def why_not_ui(steps: Steps, digit: int, classifier: Classifier) -> None:
    """The score difference of the top digit and another one, pixel by pixel (computed for these two only)."""
    versus = versus_picker(digit, classifier.predict_proba(steps.image[None])[0], key=VERSUS_KEY)
    split = contrast(classifier, steps.image, digit, versus)
    picture_col, numbers_col = st.columns([1, 2], vertical_alignment="center")
    with picture_col:
        st.html(tiles_html([Tile(signed_picture(split.contributions), INPUT_PX, picture_caption(split))]))
    with numbers_col:
        st.markdown(sum_text(split, activation_name(classifier)))
