"""Plotly figures for the Inside page: a unit's picture, its activation histogram, its votes, the layer
overview (one image under one invisible click target per tile) and the hidden-space map.

Plotly's images and heatmaps fire no Streamlit selection; a scatter trace of transparent markers does,
so each clickable picture carries one (`customdata` = the unit or the test index).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from model.spec import N_CLASSES
from ui.charts import ACCENT

DIVERGING = [[0, "#2563eb"], [0.5, "#ffffff"], [1, "#dc2626"]]  # blue negative, white 0, red positive
DIGIT_COLOURS = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#7f7f7f",
)  # Tableau 10, one per digit on the hidden-space map
SELECTED = "#111827"
TILE_GAP = 1  # px between tiles of the overview (model.neurons.mosaic's gap)


def _square_axes(fig: go.Figure, height: int) -> go.Figure:
    """Pixels stay square; on a narrow screen the picture shrinks and sits at the top, the space left is below."""
    fig.update_layout(
        height=height,
        margin=dict(l=0, r=0, t=0, b=0),
        plot_bgcolor="white",
        dragmode=False,
        xaxis=dict(visible=False, fixedrange=True, constrain="domain"),
        yaxis=dict(
            visible=False,
            autorange="reversed",
            scaleanchor="x",
            fixedrange=True,
            constrain="domain",
            constraintoward="top",
        ),
    )
    return fig


def picture_figure(values: np.ndarray, label: str, height: int = 260) -> go.Figure:
    """(28, 28) signed values on a diverging scale centred at 0, with a colour bar."""
    limit = float(np.abs(values).max()) or 1.0
    fig = go.Figure(
        go.Heatmap(
            z=values,
            zmin=-limit,
            zmax=limit,
            colorscale=DIVERGING,
            colorbar=dict(thickness=10, len=0.9, tickfont=dict(size=10)),
            hovertemplate="row %{y}, col %{x}<br>" + label + ": %{z:.3f}<extra></extra>",
        )
    )
    fig.add_shape(type="rect", x0=-0.5, y0=-0.5, x1=27.5, y1=27.5, line=dict(color="#d1d5db", width=1))
    return _square_axes(fig, height)


def histogram_figure(
    counts: np.ndarray, edges: np.ndarray, drawing: float | None = None, height: int = 240
) -> go.Figure:
    """The unit's outputs over the test digits (log counts: ReLU's zeros would flatten the rest), your drawing as a line."""
    centres = (edges[:-1] + edges[1:]) / 2
    fig = go.Figure(
        go.Bar(
            x=centres,
            y=counts,
            width=np.diff(edges),
            marker_color=ACCENT,
            hovertemplate="output %{x:.3f}: %{y} digits<extra></extra>",
        )
    )
    if drawing is not None:
        fig.add_vline(x=drawing, line=dict(color="#dc2626", width=2, dash="dot"))
        fig.add_annotation(
            x=drawing,
            y=1,
            yref="paper",
            text="your drawing",
            showarrow=False,
            xanchor="left",
            yanchor="top",
            font=dict(size=11, color="#dc2626"),
        )
    fig.update_layout(
        height=height,
        margin=dict(l=44, r=8, t=8, b=36),
        plot_bgcolor="white",
        bargap=0,
        xaxis=dict(title="output", fixedrange=True),
        showlegend=False,
        yaxis=dict(type="log", title="test digits", gridcolor="#eef2f7", fixedrange=True),
    )
    return fig


def votes_figure(weights: np.ndarray, height: int = 240) -> go.Figure:
    """(10,) outgoing weights of a last-layer unit: red pushes a digit's score up when it fires, blue down."""
    colours = ["#dc2626" if w > 0 else "#2563eb" for w in weights]
    fig = go.Figure(
        go.Bar(
            x=list(range(N_CLASSES)),
            y=weights,
            marker_color=colours,
            hovertemplate="digit %{x}: weight %{y:+.3f}<extra></extra>",
        )
    )
    fig.update_layout(
        height=height,
        margin=dict(l=44, r=8, t=8, b=36),
        plot_bgcolor="white",
        showlegend=False,
        xaxis=dict(tickmode="array", tickvals=list(range(N_CLASSES)), title="digit", fixedrange=True),
        yaxis=dict(title="weight", gridcolor="#eef2f7", zerolinecolor="#9ca3af", fixedrange=True),
    )
    return fig


def overview_figure(
    source: str, width: int, units: int, cols: int, selected: int | None, height: int = 720
) -> go.Figure:
    """`source`: model.neurons.mosaic's picture of every unit as an image URI, `width` px wide. One image, and a
    transparent marker per tile centre (customdata = unit) that Streamlit's on_select sees; the selected unit
    is outlined."""
    side = (width + TILE_GAP) // cols - TILE_GAP
    step = side + TILE_GAP
    rows, col = np.divmod(np.arange(units), cols)
    fig = go.Figure(
        [
            go.Image(source=source, x0=0, y0=0, dx=1, dy=1, hoverinfo="skip"),
            go.Scatter(
                x=col * step + side / 2 - 0.5,
                y=rows * step + side / 2 - 0.5,
                mode="markers",
                customdata=np.arange(units),
                hovertemplate="unit %{customdata}<extra></extra>",
                marker=dict(symbol="square", size=14, color="rgba(0,0,0,0)", opacity=0),
                showlegend=False,
            ),
        ]
    )
    if selected is not None:
        r, c = divmod(selected, cols)
        fig.add_shape(
            type="rect",
            x0=c * step - 1.5,
            y0=r * step - 1.5,
            x1=c * step + side + 0.5,
            y1=r * step + side + 0.5,
            line=dict(color=SELECTED, width=3),
        )
    fig.update_layout(clickmode="event+select", hoverlabel=dict(bgcolor="white"))
    return _square_axes(fig, height)


def clicked_point(selection) -> int | None:
    """The customdata (unit or test index) of the last clicked marker in a plotly selection state, or None."""
    points = [p for p in (selection or {}).get("points", []) if p.get("customdata") is not None]
    if not points:
        return None
    data = points[-1]["customdata"]
    return int(data[0] if isinstance(data, list) else data)


def hidden_map_figure(
    xy: np.ndarray,
    labels: np.ndarray,
    explained: tuple[float, float],
    drawing: np.ndarray | None = None,
    selected: int | None = None,
    height: int = 560,
) -> go.Figure:
    """Every test digit as a dot at its last-hidden-layer PCA position, one colour (and legend entry) per label.
    All traces are WebGL: an SVG trace would be drawn under the WebGL dots, hidden."""
    traces = []
    for digit in range(N_CLASSES):
        idx = np.flatnonzero(labels == digit)
        traces.append(
            go.Scattergl(
                x=xy[idx, 0],
                y=xy[idx, 1],
                mode="markers",
                name=str(digit),
                customdata=idx,
                marker=dict(size=4, color=DIGIT_COLOURS[digit], opacity=0.6),
                hovertemplate=f"test #%{{customdata}}: a {digit}<extra></extra>",
            )
        )
    if selected is not None:
        traces.append(
            go.Scattergl(
                x=[xy[selected, 0]],
                y=[xy[selected, 1]],
                mode="markers",
                name=f"#{selected}",
                hoverinfo="skip",
                marker=dict(size=14, color="rgba(0,0,0,0)", line=dict(color=SELECTED, width=2)),
            )
        )
    if drawing is not None:
        traces.append(
            go.Scattergl(
                x=[drawing[0]],
                y=[drawing[1]],
                mode="markers+text",
                name="your drawing",
                text=["your drawing"],
                textposition="top center",
                hoverinfo="skip",
                marker=dict(symbol="star", size=18, color=SELECTED, line=dict(color="white", width=1)),
            )
        )
    fig = go.Figure(traces)
    fig.update_layout(
        height=height,
        margin=dict(l=40, r=8, t=8, b=36),
        plot_bgcolor="white",
        dragmode="pan",
        clickmode="event+select",
        legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0, itemsizing="constant", title=dict(text="digit ")),
        xaxis=dict(
            title=f"first principal direction ({explained[0]:.0%} of the variance)", gridcolor="#eef2f7", zeroline=False
        ),
        yaxis=dict(title=f"second ({explained[1]:.0%})", gridcolor="#eef2f7", zeroline=False),
    )
    return fig
