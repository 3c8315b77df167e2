"""Plotly figures for the Errors page: the clickable confusion matrix, the two-model difference,
one sample's probabilities and its saliency map.

The matrix is a heatmap (which Streamlit cannot select) under a transparent scatter trace with one
marker per cell centre: clicking a cell selects that marker, and `customdata` = (true, predicted).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from model.spec import N_CLASSES
from training.confusion import normalize_rows

DIGITS = list(range(N_CLASSES))
GRID = "#ffffff"  # gaps between cells
DIAGONAL = "#e8ecf1"  # correct answers: a quiet grey so the mistakes stand out
MUTED, INK = "#6b7280", "#111827"
ERRORS_SCALE = [[0.0, "#fff7ed"], [0.25, "#fdba74"], [0.6, "#f97316"], [1.0, "#b91c1c"]]  # few -> many mistakes
RIGHT, WRONG, OTHER = "#16a34a", "#dc2626", "#cbd5e1"  # bar colours: true digit, wrong answer, the rest
CELL_MARKER = 36  # px: the invisible click target in each cell (about one cell wide at the default height)
MATRIX_HEIGHT = 440  # px; the plot stays square, pinned to the top when the column is narrower


def _split_diagonal(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(off-diagonal with NaN on the diagonal, diagonal with NaN elsewhere): two heatmaps, two colour scales."""
    values = values.astype(float)
    diag = np.eye(N_CLASSES, dtype=bool)
    return np.where(diag, np.nan, values), np.where(diag, values, np.nan)


def _cell_texts(counts: np.ndarray, rates: np.ndarray, normalized: bool) -> np.ndarray:
    """What each cell prints: a count or a percentage; empty off-diagonal cells stay blank."""
    text = np.empty(counts.shape, dtype=object)
    for t in DIGITS:
        for p in DIGITS:
            if counts[t, p] == 0 and t != p:
                text[t, p] = ""
            elif normalized:
                text[t, p] = f"{rates[t, p]:.0%}" if rates[t, p] >= 0.1 else f"{rates[t, p]:.1%}"
            else:
                text[t, p] = str(int(counts[t, p]))
    return text


def _hover(counts: np.ndarray, rates: np.ndarray, t: int, p: int) -> str:
    n, share = int(counts[t, p]), rates[t, p]
    if t == p:
        return f"<b>{n} images of a {t}</b> recognised correctly<br>{share:.1%} of all {t}s (recall)<br>Click: least sure first"
    predicted_as_p = int(counts[:, p].sum())
    of_p = n / predicted_as_p if predicted_as_p else 0.0
    return (
        f"<b>True {t}, predicted {p}: {n} images</b><br>{share:.1%} of all {t}s were called {p}"
        f"<br>{of_p:.1%} of the model's '{p}' answers<br>Click: see them"
    )


def _click_targets(counts: np.ndarray, rates: np.ndarray, name: str) -> go.Scatter:
    """One invisible marker per cell centre: the trace Streamlit's on_select can see. A selected cell gets an outline."""
    cells = [(t, p) for t in DIGITS for p in DIGITS]
    return go.Scatter(
        x=[p for _, p in cells],
        y=[t for t, _ in cells],
        mode="markers",
        name=name,
        customdata=[[t, p] for t, p in cells],
        hovertext=[_hover(counts, rates, t, p) for t, p in cells],
        hovertemplate="%{hovertext}<extra></extra>",
        marker=dict(
            symbol="square", size=CELL_MARKER, color="rgba(0,0,0,0)", opacity=0, line=dict(color=INK, width=2.5)
        ),
        selected=dict(marker=dict(opacity=1)),
        unselected=dict(marker=dict(opacity=0)),
        showlegend=False,
    )


def confusion_figure(confusion: np.ndarray, normalized: bool = False) -> go.Figure:
    """Rows = true digit (0 at the top), columns = predicted digit; colour = mistakes, diagonal in grey."""
    counts = np.asarray(confusion)
    rates = normalize_rows(counts)
    shown = rates if normalized else counts
    off, diag = _split_diagonal(shown)
    text = _cell_texts(counts, rates, normalized)
    off_max = float(np.nanmax(off)) if np.nanmax(off) > 0 else 1.0
    common = dict(x=DIGITS, y=DIGITS, xgap=2, ygap=2, hoverinfo="skip", texttemplate="%{text}")
    fig = go.Figure(
        [
            go.Heatmap(
                z=diag,
                text=text,
                colorscale=[[0, DIAGONAL], [1, DIAGONAL]],
                showscale=False,
                textfont=dict(color=MUTED, size=11),
                **common,
            ),
            go.Heatmap(
                z=off,
                text=text,
                colorscale=ERRORS_SCALE,
                zmin=0,
                zmax=off_max,
                textfont=dict(size=12),
                showscale=False,
                **common,
            ),  # the numbers are printed in the cells: no colour bar needed
            _click_targets(counts, rates, "cells"),
        ]
    )
    axis = dict(
        tickmode="array", tickvals=DIGITS, fixedrange=True, showgrid=False, zeroline=False, tickfont=dict(size=13)
    )
    fig.update_layout(
        height=MATRIX_HEIGHT,
        margin=dict(l=50, r=10, t=50, b=10),
        plot_bgcolor=GRID,
        dragmode=False,
        xaxis=dict(title="Predicted digit", side="top", **axis),
        yaxis=dict(
            title="True digit", autorange="reversed", scaleanchor="x", constrain="domain", constraintoward="top", **axis
        ),
        hoverlabel=dict(bgcolor="white", font_size=13),
        clickmode="event+select",
    )
    return fig


def clicked_cell(selection) -> tuple[int, int] | None:
    """(true, predicted) of the last clicked cell in a Streamlit plotly selection state, or None if none.

    Only the click-target trace carries customdata; a selection may be empty (the user cleared it).
    """
    points = [p for p in (selection or {}).get("points", []) if p.get("customdata")]
    if not points:
        return None
    true, predicted = points[-1]["customdata"][:2]
    return int(true), int(predicted)


def difference_figure(difference: np.ndarray, name_a: str, name_b: str) -> go.Figure:
    """B's confusion minus A's. Green = B better there (more right on the diagonal, fewer mistakes off it)."""
    diff = np.asarray(difference)
    better = np.where(np.eye(N_CLASSES, dtype=bool), diff, -diff)  # > 0 wherever B improves on A
    limit = max(1, int(np.abs(better).max()))
    text = [[f"{v:+d}" if v else "" for v in r] for r in diff.tolist()]
    fig = go.Figure(
        go.Heatmap(
            z=better,
            x=DIGITS,
            y=DIGITS,
            text=text,
            texttemplate="%{text}",
            xgap=2,
            ygap=2,
            colorscale=[[0, "#dc2626"], [0.5, "#f8fafc"], [1, "#16a34a"]],
            zmin=-limit,
            zmax=limit,
            showscale=False,
            hovertemplate=f"True %{{y}}, predicted %{{x}}<br>{name_b} minus {name_a}: %{{text}}<extra></extra>",
        )
    )
    axis = dict(tickmode="array", tickvals=DIGITS, fixedrange=True, showgrid=False, zeroline=False)
    fig.update_layout(
        height=MATRIX_HEIGHT - 40,
        margin=dict(l=50, r=10, t=50, b=10),
        plot_bgcolor=GRID,
        dragmode=False,
        xaxis=dict(title="Predicted digit", side="top", **axis),
        yaxis=dict(
            title="True digit", autorange="reversed", scaleanchor="x", constrain="domain", constraintoward="top", **axis
        ),
    )
    return fig


def probability_figure(probabilities: np.ndarray, true: int) -> go.Figure:
    """All ten probabilities of one image: the true digit in green, a wrong answer in red."""
    predicted = int(np.argmax(probabilities))
    colours = [RIGHT if d == true else WRONG if d == predicted else OTHER for d in DIGITS]
    fig = go.Figure(
        go.Bar(
            x=DIGITS,
            y=probabilities,
            marker_color=colours,
            text=[f"{p:.0%}" if p >= 0.01 else "" for p in probabilities],
            textposition="outside",
            hovertemplate="digit %{x}: %{y:.2%}<extra></extra>",
        )
    )
    fig.update_layout(
        height=260,
        margin=dict(l=10, r=10, t=20, b=30),
        showlegend=False,
        plot_bgcolor="white",
        xaxis=dict(tickmode="array", tickvals=DIGITS, title=None, fixedrange=True),
        yaxis=dict(range=[0, 1.15], tickformat=".0%", showgrid=True, gridcolor="#eef2f7", fixedrange=True),
    )
    return fig


def saliency_figure(gradient: np.ndarray, image: np.ndarray, target: int) -> go.Figure:
    """d logit[target] / d pixel as a red (pushes towards `target`) / blue (pushes away) map, the digit outlined."""
    limit = float(np.abs(gradient).max()) or 1.0
    fig = go.Figure(
        [
            go.Heatmap(
                z=gradient,
                zmin=-limit,
                zmax=limit,
                showscale=False,
                colorscale=[[0, "#2563eb"], [0.5, "#ffffff"], [1, "#dc2626"]],
                hovertemplate="row %{y}, col %{x}<br>effect on '" + str(target) + "': %{z:.3f}<extra></extra>",
            ),
            go.Contour(
                z=image,
                showscale=False,
                contours=dict(start=0.5, end=0.5, size=1, coloring="none"),
                line=dict(color=INK, width=1.5),
                hoverinfo="skip",
            ),
        ]
    )
    fig.add_shape(
        type="rect", x0=-0.5, y0=-0.5, x1=27.5, y1=27.5, line=dict(color="#d1d5db", width=1)
    )  # the 28x28 frame
    fig.update_layout(
        height=260,
        margin=dict(l=0, r=0, t=0, b=0),
        plot_bgcolor="white",
        xaxis=dict(visible=False, fixedrange=True, constrain="domain"),
        yaxis=dict(visible=False, autorange="reversed", scaleanchor="x", fixedrange=True),
    )
    return fig
