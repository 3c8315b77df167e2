"""Plotly learning curves for the Train page. Figures only: the caller passes them to st.plotly_chart.

    st.plotly_chart(curves_figure(state.history, state.trace), config=CHART_CONFIG)   # one run, live
    st.plotly_chart(compare_figure({r.name: r.history for r in records}), ...)       # several runs overlaid

A history is the list of per-epoch dicts a run reports and the registry stores:
{epoch, loss, accuracy, val_loss (None without validation), val_accuracy, ...}. The live chart is
redrawn while the Streamlit server also serves drawing, so the figure is built in one go (two
axis pairs side by side, no make_subplots: ~1 ms instead of ~40).
"""

from __future__ import annotations

import plotly.graph_objects as go

from ui.charts import ACCENT, SERIES

VALIDATION = "#0EA5E9"  # the held-out curve of a single run
GRID = "#E5E7EB"
MAX_TRACE_POINTS = 150  # the within-epoch line is thinned to this many points
PANELS = ((1, "loss", "Loss (lower is better)", ""), (2, "accuracy", "Accuracy (higher is better)", ".0%"))


def _layout(height: int, last_epoch: float) -> dict:
    """Loss on the left (x, y), accuracy on the right (x2, y2), whole epochs along both."""
    ticks = dict(
        title=dict(text="epoch", font=dict(size=12)),
        gridcolor=GRID,
        range=[0, last_epoch * 1.04],
        dtick=1 if last_epoch <= 12 else None,
        tickformat="d",
        zeroline=False,
    )
    titles = [
        dict(
            text=title,
            x=x,
            xref="paper",
            xanchor="center",
            y=1.0,
            yref="paper",
            yanchor="bottom",
            showarrow=False,
            font=dict(size=13, color="#4B5563"),
        )
        for x, (_, _, title, _) in zip((0.22, 0.78), PANELS)
    ]
    return dict(
        height=height,
        margin=dict(l=8, r=8, t=76, b=8),
        plot_bgcolor="rgba(0,0,0,0)",
        paper_bgcolor="rgba(0,0,0,0)",
        showlegend=True,
        legend=dict(orientation="h", yanchor="bottom", y=1.12, x=0),
        hovermode="x unified",
        annotations=titles,
        xaxis=dict(domain=[0, 0.44], anchor="y", **ticks),
        xaxis2=dict(domain=[0.56, 1], anchor="y2", **ticks),
        yaxis=dict(anchor="x", gridcolor=GRID, tickformat=PANELS[0][3], zeroline=False),
        yaxis2=dict(anchor="x2", gridcolor=GRID, tickformat=PANELS[1][3], zeroline=False),
    )


def _series(history: list[dict], key: str) -> tuple[list[int], list[float]]:
    """(epochs, values) of one metric, leaving out epochs where it is missing (no validation split)."""
    points = [(h["epoch"], h[key]) for h in history if h.get(key) is not None]
    return [p[0] for p in points], [p[1] for p in points]


def _line(x, y, col: int, name: str, colour: str, dash: str, group: str, metric: str, **style) -> go.Scatter:
    fmt = "%{y:.2%}" if metric == "accuracy" else "%{y:.4f}"
    return go.Scatter(
        x=x,
        y=y,
        name=name,
        xaxis="x" if col == 1 else "x2",
        yaxis="y" if col == 1 else "y2",
        line=dict(color=colour, dash=dash, width=style.pop("width", 2.5)),
        legendgroup=group,
        showlegend=col == 1,
        hovertemplate=f"{name}: {fmt}<extra></extra>",
        **style,
    )


def curves_figure(history: list[dict], trace: list[dict] | None = None, height: int = 320) -> go.Figure:
    """One run: training (solid) and validation (dashed) loss and accuracy per epoch; with `trace` (the
    batch reports of a live run, x = epochs done so far) also a thin line moving within each epoch."""
    trace = (trace or [])[:: max(1, len(trace or []) // MAX_TRACE_POINTS)]
    last = max([h["epoch"] for h in history] + [t["x"] for t in trace] + [1])
    lines = []
    for col, metric, _, _ in PANELS:
        if trace:
            lines.append(
                _line(
                    [t["x"] for t in trace],
                    [t[metric] for t in trace],
                    col,
                    "training, within the epoch",
                    ACCENT,
                    "solid",
                    "batches",
                    metric,
                    width=1,
                    opacity=0.35,
                    mode="lines",
                    hoverinfo="skip",
                )
            )
        for key, label, colour, dash in (("", "training", ACCENT, "solid"), ("val_", "validation", VALIDATION, "dash")):
            x, y = _series(history, key + metric)
            if x:
                lines.append(
                    _line(x, y, col, label, colour, dash, label, metric, mode="lines+markers", marker=dict(size=6))
                )
    return go.Figure(lines, layout=_layout(height, last))


def compare_figure(histories: dict[str, list[dict]], height: int = 360) -> go.Figure:
    """Several runs overlaid, one colour each: validation solid (training dotted where there is no validation)."""
    last = max([h["epoch"] for hs in histories.values() for h in hs] + [1])
    lines = []
    for i, (name, history) in enumerate(histories.items()):
        colour = SERIES[i % len(SERIES)]
        has_val = any(h.get("val_loss") is not None for h in history)
        prefix, dash = ("val_", "solid") if has_val else ("", "dot")
        for col, metric, _, _ in PANELS:
            x, y = _series(history, prefix + metric)
            lines.append(_line(x, y, col, name, colour, dash, name, metric, mode="lines+markers", marker=dict(size=5)))
    return go.Figure(lines, layout=_layout(height, last))
