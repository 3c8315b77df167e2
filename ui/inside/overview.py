"""The layer overview: every unit of a layer as one picture (a click opens a unit), and for every layer
its dead units (never fire on the test digits) and its busiest ones."""

from __future__ import annotations

import streamlit as st

from model import Classifier, neurons
from ui.charts import CHART_CONFIG
from ui.inside import charts, data
from ui.inside.inspector import LAYER_KEY, UNIT_KEY

TAB_KEY = "inside_tab"  # the page's tabs; a click here switches to the inspector's
INSPECTOR_TAB = "Neuron"
OVERVIEW_KEY = "inside_overview"
DEAD_SHOWN = 40  # dead units listed by number


def _open(layer: int, unit: int) -> None:
    st.session_state[LAYER_KEY], st.session_state[UNIT_KEY] = layer, unit
    st.session_state[TAB_KEY] = INSPECTOR_TAB


def _on_tile_click(layer: int) -> None:
    unit = charts.clicked_point(st.session_state[OVERVIEW_KEY].selection)
    if unit is not None:
        _open(layer, unit)


def _on_pick(layer: int, key: str) -> None:
    unit = st.session_state[key]
    if unit is not None:
        st.session_state[key] = None  # a pick opens the unit; the pills stay ready for the next one
        _open(layer, unit)


def tiles_ui(classifier: Classifier, layer: int, selected: int) -> None:
    units = neurons.layer_sizes(classifier)[layer - 1]
    source, cols, width = data.layer_tiles(classifier, layer)
    if layer == 1:
        st.caption(
            f"Each tile is one of layer 1's {units:,} units: its 784 incoming weights as a 28×28 "
            "picture (red positive, blue negative, each tile scaled to its own largest weight). "
            "**Click a tile** to open that unit."
        )
    else:
        st.caption(
            f"Each tile is one of layer {layer}'s {units:,} units: the average of the "
            f"{neurons.PICTURE_TOP} test digits that excite it most minus the average test digit "
            "(its weights come from units, not pixels). **Click a tile** to open that unit."
        )
    st.plotly_chart(
        charts.overview_figure(source, width, units, cols, selected),
        key=OVERVIEW_KEY,
        on_select=lambda: _on_tile_click(layer),
        selection_mode="points",
        config=CHART_CONFIG,
    )


def activity_ui(rec: neurons.Recording) -> None:
    st.markdown("**Dead and busy units in every layer**")
    for layer in range(1, len(rec.pre) + 1):
        summary = neurons.layer_summary(rec, layer)
        dead = summary.dead
        more = f" (the first {DEAD_SHOWN} below)" if len(dead) > DEAD_SHOWN else ""
        st.markdown(
            f"Layer {layer} ({summary.units:,} units) · **{len(dead)} dead**: they never fire on the "
            f"10,000 test digits{more}."
        )
        key = f"inside_busy_{layer}"
        st.pills(
            f"Layer {layer}'s busiest units (share of test digits they fire on): click to open",
            summary.busiest,
            key=key,
            format_func=lambda u, s=summary.shares: f"#{u} · {s[u]:.0%}",
            on_change=_on_pick,
            args=(layer, key),
        )
        if dead:
            dead_key = f"inside_dead_{layer}"
            st.pills(
                f"Layer {layer}'s dead units: click to open",
                dead[:DEAD_SHOWN],
                key=dead_key,
                format_func=lambda u: f"#{u}",
                on_change=_on_pick,
                args=(layer, dead_key),
            )


def overview_ui(classifier: Classifier, rec: neurons.Recording, layer: int, unit: int) -> None:
    st.subheader(f"Layer {layer}, every unit at once")
    tiles_ui(classifier, layer, unit)
    activity_ui(rec)
