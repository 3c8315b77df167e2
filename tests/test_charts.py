"""The figure builders in ui/charts.py: figures plotly accepts, the winner highlighted, the threshold drawn."""

import numpy as np
import plotly.graph_objects as go

from ui.charts import ACCENT, DOUBT, MUTED, probability_bars


def test_probability_bars_is_a_figure_plotly_accepts():
    # the Draw page sends this dict unvalidated on every stroke; go.Figure raises on any property plotly lacks
    spec = probability_bars(np.full(10, 0.1), highlight=3, threshold=0.6)
    figure = go.Figure(spec)
    assert list(figure.data[0].x) == [str(d) for d in range(10)]
    assert figure.layout.shapes[0].y0 == 0.6 and "60%" in figure.layout.annotations[0].text


def test_probability_bars_highlights_the_winner_amber_when_unsure():
    probs = np.array([0.0, 0.005, 0.9, 0.095, 0, 0, 0, 0, 0, 0])
    sure = probability_bars(probs, highlight=2)["data"][0]
    assert sure["marker"]["color"] == [MUTED] * 2 + [ACCENT] + [MUTED] * 7
    assert sure["text"][:4] == ["", "", "90%", "10%"]  # values under 1% are not printed
    unsure = probability_bars(probs, highlight=2, unsure=True)["data"][0]
    assert unsure["marker"]["color"][2] == DOUBT
    assert probability_bars(np.zeros(10))["data"][0]["marker"]["color"] == [MUTED] * 10


def test_the_threshold_label_sits_on_the_side_away_from_the_top_bar():
    def label(top: int) -> dict:
        return probability_bars(np.eye(10)[top], highlight=top, threshold=0.6)["layout"]["annotations"][0]

    assert (label(1)["x"], label(1)["xanchor"]) == (1, "right")
    assert (label(8)["x"], label(8)["xanchor"]) == (0, "left")
