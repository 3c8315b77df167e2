"""Galleries of test images for the Errors page, and the dialog that explains one of them.

A tile shows the enlarged 28x28 image, its true and predicted digit and the top-3 probabilities;
its "Inspect" button opens the dialog: the image, all ten probabilities, the saliency map, why the answer and
not another digit (ui/inside/why_not.py) and links to the neurons that pushed hardest towards the answer.
"""

from __future__ import annotations

import html

import numpy as np
import streamlit as st
from PIL import Image

from model.contrast import contrast
from model.explain import SALIENCY_METHODS, hidden_layers, saliency
from training import confusion
from training.evaluate import Evaluation
from ui.charts import CHART_CONFIG
from ui.errors import charts as matrix_charts
from ui.inside.link import neuron_links
from ui.inside.why_not import activation_name, sum_text, versus_picker

TILE_PX = 112  # 28x28 shown 4x larger, nearest-neighbour so the pixels stay visible
DETAIL_PX = 224
PER_ROW = 4  # tiles per row in a half-width column; full-width galleries pass 8


def enlarged(x28: np.ndarray, side: int) -> Image.Image:
    """(28, 28) uint8 -> a side x side greyscale image with crisp pixels."""
    return Image.fromarray(np.asarray(x28, dtype=np.uint8)).resize((side, side), Image.NEAREST)


def _percent(p: float) -> str:
    return f"{p:.0%}" if p >= 0.005 else "<1%"


def tile_text(data: confusion.Dataset, ev: Evaluation, pos: int) -> str:
    """Two short lines of HTML: 'true → said  #id' (or who drew it, escaped) and the top-3 probabilities."""
    true, said = int(ev.labels[pos]), int(ev.predicted[pos])
    verdict = f"<b>{true} → {said}</b>" if true != said else f"<b>{true}</b> ✓"
    top = " · ".join(f"{d} {_percent(p)}" for d, p in confusion.top_k(ev.probabilities[pos]))
    whose = f"#{int(data.ids[pos])}" if data.names is None else html.escape(data.names[pos])  # a nickname is text
    return (
        f"<div style='font-size:0.85rem;line-height:1.35'>{verdict} "
        f"<span style='color:#6b7280;overflow-wrap:anywhere'>{whose}</span><br>"
        f"<span style='font-size:0.75rem;color:#374151'>{top}</span></div>"
    )


def gallery_ui(
    data: confusion.Dataset, ev: Evaluation, positions: np.ndarray, key: str, limit: int = 20, per_row: int = PER_ROW
) -> int | None:
    """Tiles for the first `limit` positions; returns the position whose "Inspect" was clicked this run."""
    clicked, shown = None, positions[:limit]
    more = f" Showing the first {limit} of {len(positions):,}." if len(positions) > limit else ""
    whose = "the image's number" if data.names is None else "who drew it"
    st.caption(f"Each tile: **true → predicted** digit, {whose}, then the three most likely digits.{more}")
    for start in range(0, len(shown), per_row):
        for column, pos in zip(st.columns(per_row), shown[start : start + per_row]):
            with column.container(border=True):
                st.image(enlarged(data.x[pos], TILE_PX), width="stretch")
                st.html(tile_text(data, ev, int(pos)))
                if st.button("Inspect", key=f"{key}_inspect_{int(pos)}", width="stretch"):
                    clicked = int(pos)
    return clicked


@st.dialog("A closer look", width="large")
def sample_dialog(classifier, data: confusion.Dataset, ev: Evaluation, pos: int) -> None:
    """The image, why the model answered what it did (saliency, as on the Draw page) and all ten probabilities."""
    true, said = int(ev.labels[pos]), int(ev.predicted[pos])
    x28 = data.x[pos].astype(np.float32) / 255
    name = "MNIST test image" if data.key == confusion.MNIST_TEST else "Drawing"
    verdict = f"the model said **{said}**" + (" ✓" if said == true else f" ({ev.probabilities[pos, said]:.0%} sure)")
    st.markdown(f"#### {name} #{int(data.ids[pos])}: a {true}, {verdict}")
    image_col, why_col, bars_col = st.columns([1, 1, 1.6])
    with image_col:
        st.image(enlarged(data.x[pos], DETAIL_PX), width="stretch")
        st.caption("What the network saw: 28×28 pixels.")
    with why_col:
        saliency_tab, versus_tab = st.tabs(["Saliency", f"Why {said}, not…"])
    with saliency_tab:
        targets = [said] if said == true else [said, true]
        target = st.radio(
            "Saliency for",
            targets,
            horizontal=True,
            key=f"errors_detail_target_{pos}",
            format_func=lambda d: f"answer {d}" if d == said else f"true {d}",
        )
        method = (
            st.segmented_control(
                "Method",
                SALIENCY_METHODS,
                default=SALIENCY_METHODS[0],
                key=f"errors_detail_method_{pos}",
                label_visibility="collapsed",
            )
            or SALIENCY_METHODS[0]
        )
        st.plotly_chart(
            matrix_charts.saliency_figure(saliency(classifier, x28, target, method), x28, target),
            key="errors_detail_saliency",
            config=CHART_CONFIG,
        )
        st.caption(f"Red ink pushed towards **{target}**, blue ink pushed away.")
    with versus_tab:
        ranked = ev.probabilities[pos] if said == true else np.eye(10)[true] + 0.5 * ev.probabilities[pos]
        versus = versus_picker(said, ranked, key=f"errors_detail_versus_{pos}")  # default: the true digit if wrong
        split = contrast(classifier, x28, said, versus)
        st.plotly_chart(
            matrix_charts.saliency_figure(split.contributions, x28, f"{said} − {versus}"),
            key="errors_detail_versus",
            config=CHART_CONFIG,
        )
        st.caption(
            f"Each pixel's share of score {said} − score {versus}: red ink argues for **{said}**, "
            f"blue for **{versus}**."
        )
        st.markdown(sum_text(split, activation_name(classifier)))
    with bars_col:
        st.plotly_chart(
            matrix_charts.probability_figure(ev.probabilities[pos], true),
            key="errors_detail_bars",
            config=CHART_CONFIG,
        )
        st.caption("All ten probabilities. Green: the true digit; red: the model's answer when it is wrong.")
    views = hidden_layers(classifier, x28)
    if views and views[-1].top_units:
        neuron_links(
            classifier.name, views[-1].index, views[-1].top_units, lead=f"Neurons that pushed hardest towards {said}:"
        )
