"""The reading: Prediction and Confidence metrics, what they mean, and the ten probabilities."""

from __future__ import annotations

import numpy as np
import streamlit as st

from model.explain import CONFIDENT, EMPTY, NOT_A_DIGIT, UNSURE_BELOW, Verdict
from model.spec import N_CLASSES
from ui.charts import CHART_CONFIG, STATIC_CHART, probability_bars, probability_comparison
from ui.live_chart import live_plotly_chart


def prediction_ui(verdict: Verdict, probs: dict[str, np.ndarray]) -> None:
    """Metrics first (they are what a stroke is waiting for), then the message and the charts."""
    with st.container(horizontal=True):  # side by side on a phone too, where st.columns would stack them
        st.metric(
            "Prediction",
            verdict.shown,
            border=True,
            help="A digit only when the network is sure; '?' when it is not, '—' when there is nothing to read.",
        )
        st.metric(
            "Confidence",
            "—" if verdict.state == EMPTY else f"{verdict.confidence:.0%}",
            border=True,
            help="The probability the network gives its top digit.",
        )
    if verdict.state == EMPTY:
        st.info(verdict.reason, icon=":material/draw:")
    elif verdict.state == CONFIDENT:
        st.success(verdict.reason, icon=":material/check_circle:")
    elif verdict.state == NOT_A_DIGIT:
        st.warning(
            f"{verdict.reason} (The network's best guess would be {verdict.digit}, at {verdict.confidence:.0%}.)",
            icon=":material/help:",
        )
    else:
        st.warning(verdict.reason, icon=":material/help:")

    reading = next(iter(probs.values()), np.zeros(N_CLASSES))
    # one graph redrawn in place on every stroke: st.plotly_chart would rebuild it (see ui/live_chart.py)
    live_plotly_chart(
        probability_bars(reading, highlight=verdict.digit, threshold=UNSURE_BELOW, unsure=verdict.state != CONFIDENT),
        config=STATIC_CHART,
        key="draw_probs_chart",
    )
    if len(probs) > 1:
        st.markdown("**Side by side**")
        st.plotly_chart(probability_comparison(probs), config=CHART_CONFIG, key="draw_compare_chart")
        st.caption(" · ".join(f"{name}: {int(np.argmax(p))} ({float(np.max(p)):.0%})" for name, p in probs.items()))


def probabilities_caption() -> None:
    """What the bars are; under the reading, drawn once per page run (it never changes)."""
    st.caption(
        f"Probabilities of all ten digits; they add up to 100%. Below {UNSURE_BELOW:.0%} for the top digit, "
        "the page says it is not sure instead of guessing."
    )
