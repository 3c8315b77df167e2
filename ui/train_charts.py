"""Plotly learning curves for the Train page. Figures only: the caller passes them to st.plotly_chart.

    st.plotly_chart(curves_figure(state.history), config=CHART_CONFIG)          # one run, live
    st.plotly_chart(compare_figure({r.name: r.history for r in records}), ...)  # several runs overlaid

A history is the list of per-epoch dicts a run reports and the registry stores:
{epoch, loss, accuracy, val_loss (None without validation), val_accuracy, ...}.
"""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.charts import ACCENT, SERIES

VALIDATION = "#0EA5E9"  # the held-out curve of a single run
GRID = "#E5E7EB"


def _frame(height: int, last_epoch: int) -> go.Figure:
    """Loss on the left, accuracy on the right, epochs along both."""
    figure = make_subplots(rows=1, cols=2, subplot_titles=("Loss (lower is better)", "Accuracy (higher is better)"),
                           horizontal_spacing=0.1)
    figure.update_layout(
        height=height, margin=dict(l=8, r=8, t=72, b=8), plot_bgcolor="rgba(0,0,0,0)", paper_bgcolor="rgba(0,0,0,0)",
        showlegend=True, legend=dict(orientation="h", yanchor="bottom", y=1.16, x=0), hovermode="x unified",
    )
    # whole epochs only: one tick per epoch for short runs, plotly's choice (integers) for long ones
    figure.update_xaxes(title_text="epoch", gridcolor=GRID, dtick=1 if last_epoch <= 12 else None, tickformat="d")
    figure.update_yaxes(gridcolor=GRID)
    figure.update_yaxes(tickformat=".1%", row=1, col=2)
    return figure


def _series(history: list[dict], key: str) -> tuple[list[int], list[float]]:
    """(epochs, values) of one metric, leaving out epochs where it is missing (no validation split)."""
    points = [(h["epoch"], h[key]) for h in history if h.get(key) is not None]
    return [p[0] for p in points], [p[1] for p in points]


def curves_figure(history: list[dict], trace: list[dict] | None = None, height: int = 320) -> go.Figure:
    """One run: training (solid) and validation (dashed) loss and accuracy per epoch; with `trace` (the
    batch reports of a live run, x = epochs done so far) also a thin line moving within each epoch."""
    last = max([h["epoch"] for h in history] + [t["x"] for t in trace or []] + [1])
    figure = _frame(height, last)
    figure.update_xaxes(range=[0, last * 1.04])
    for col, metric in ((1, "loss"), (2, "accuracy")):
        if trace:
            figure.add_trace(go.Scatter(
                x=[t["x"] for t in trace], y=[t[metric] for t in trace], name="training, within the epoch",
                mode="lines", line=dict(color=ACCENT, width=1), opacity=0.35, legendgroup="batches",
                showlegend=col == 1, hoverinfo="skip",
            ), row=1, col=col)
    for key, label, colour, dash in (("", "training", ACCENT, "solid"), ("val_", "validation", VALIDATION, "dash")):
        for col, metric in ((1, "loss"), (2, "accuracy")):
            x, y = _series(history, key + metric)
            if not x:
                continue
            fmt = "%{y:.2%}" if metric == "accuracy" else "%{y:.4f}"
            figure.add_trace(go.Scatter(
                x=x, y=y, name=label, mode="lines+markers", line=dict(color=colour, dash=dash, width=2.5),
                marker=dict(size=6), legendgroup=label, showlegend=col == 1, hovertemplate=f"{label}: {fmt}<extra></extra>",
            ), row=1, col=col)
    return figure


def compare_figure(histories: dict[str, list[dict]], height: int = 360) -> go.Figure:
    """Several runs overlaid, one colour each: validation solid (training dotted where there is no validation)."""
    figure = _frame(height, max((h["epoch"] for hs in histories.values() for h in hs), default=1))
    for i, (name, history) in enumerate(histories.items()):
        colour = SERIES[i % len(SERIES)]
        has_val = any(h.get("val_loss") is not None for h in history)
        prefix, dash = ("val_", "solid") if has_val else ("", "dot")
        for col, metric in ((1, "loss"), (2, "accuracy")):
            x, y = _series(history, prefix + metric)
            fmt = "%{y:.2%}" if metric == "accuracy" else "%{y:.4f}"
            figure.add_trace(go.Scatter(
                x=x, y=y, name=name, mode="lines+markers", line=dict(color=colour, dash=dash, width=2.5),
                marker=dict(size=5), legendgroup=name, showlegend=col == 1, hovertemplate=f"{name}: {fmt}<extra></extra>",
            ), row=1, col=col)
    return figure
