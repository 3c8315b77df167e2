"""Plotly figure builders shared by the pages. Figures only: the caller passes them to st.plotly_chart,
or to ui/live_chart.py's live_plotly_chart for one that changes on every stroke.

    live_plotly_chart(probability_bars(probs, highlight=7), key="draw_probs_chart", config=STATIC_CHART)

Figures are built from plain dict specs (one validation pass, a few ms) rather than through
graph_objects helpers like add_hline (tens of ms each); the one the Draw page rebuilds on every stroke
(`probability_bars`) skips even that pass.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from model.spec import N_CLASSES

ACCENT = "#4F46E5"  # the winning bar; matches the theme's primary colour in .streamlit/config.toml
MUTED = "#C7CCD6"  # every other bar
DOUBT = "#D97706"  # the winning bar when the network is not sure
GUIDE = "#9CA3AF"  # threshold line
SERIES = ("#4F46E5", "#0EA5E9", "#F59E0B", "#10B981", "#EF4444", "#8B5CF6")  # one colour per compared model
CHART_CONFIG = {"displayModeBar": False}  # pass as st.plotly_chart(config=...): no toolbar over small charts
# A chart that is only read: no hover or drag layers, which plotly would otherwise build with the chart
# (~10 ms here) and update on every redraw (the Draw page's bars, every stroke).
STATIC_CHART = {**CHART_CONFIG, "staticPlot": True}
DIGITS = [str(d) for d in range(N_CLASSES)]


def _layout(height: int, top: int = 8, legend: bool = False) -> dict:
    # Fixed margins that fit the tick labels, automargin off: with it on (Streamlit's theme turns it on),
    # plotly draws the chart once, measures the labels, then draws it all again.
    return {
        "height": height,
        "margin": {"l": 44, "r": 8, "t": top, "b": 30},
        "bargap": 0.25,
        "showlegend": legend,
        "plot_bgcolor": "rgba(0,0,0,0)",
        "paper_bgcolor": "rgba(0,0,0,0)",
        "xaxis": {"type": "category", "tickfont": {"size": 15}, "fixedrange": True, "automargin": False},
        "yaxis": {
            "range": [0, 1.08],
            "tickformat": ".0%",
            "gridcolor": "#E5E7EB",
            "fixedrange": True,
            "automargin": False,
        },
    }


def probability_bars(
    probs: np.ndarray,
    highlight: int | None = None,
    threshold: float | None = None,
    unsure: bool = False,
    height: int = 260,
) -> dict:
    """(10,) probabilities -> a bar per digit, its value printed above it (shown as a static chart: no hover);
    `highlight` in the accent colour (amber if `unsure`), `threshold` as a dotted line labelled "sure above".

    A plain figure dict ({"data", "layout"}), not a go.Figure: the Draw page makes one per stroke, and
    go.Figure's validation costs 5 ms of the reading's ~20 ms on the server (tests validate it instead)."""
    probs = np.asarray(probs, dtype=float).reshape(N_CLASSES)
    colours = [MUTED] * N_CLASSES
    if highlight is not None:
        colours[highlight] = DOUBT if unsure else ACCENT
    bar = {
        "type": "bar",
        "x": DIGITS,
        "y": probs.tolist(),
        "marker": {"color": colours},
        "text": [f"{p:.0%}" if p >= 0.01 else "" for p in probs],
        "textposition": "outside",
        "cliponaxis": False,
    }
    layout = _layout(height)
    if threshold is not None:
        layout["shapes"] = [
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": threshold,
                "y1": threshold,
                "line": {"color": GUIDE, "dash": "dot", "width": 1},
            }
        ]
        right = highlight is not None and highlight < N_CLASSES / 2  # the label on the side away from the top bar
        layout["annotations"] = [
            {
                "xref": "paper",
                "x": 1 if right else 0,
                "y": threshold,
                "xanchor": "right" if right else "left",
                "yanchor": "bottom",
                "text": f"sure above {threshold:.0%}",
                "showarrow": False,
                "font": {"size": 11, "color": "#6B7280"},
            }
        ]
    return {"data": [bar], "layout": layout}


def probability_comparison(by_model: dict[str, np.ndarray], height: int = 280) -> go.Figure:
    """{model name: (10,) probabilities} -> grouped bars, one colour per model, with a legend."""
    bars = [
        {
            "type": "bar",
            "name": name,
            "x": DIGITS,
            "y": np.asarray(p, dtype=float).reshape(N_CLASSES).tolist(),
            "marker": {"color": SERIES[i % len(SERIES)]},
            "hovertemplate": f"{name}<br>digit %{{x}}: %{{y:.1%}}<extra></extra>",
        }
        for i, (name, p) in enumerate(by_model.items())
    ]
    layout = _layout(height, top=36, legend=True)
    layout.update(barmode="group", legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0})
    return go.Figure({"data": bars, "layout": layout})
