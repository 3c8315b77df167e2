"""ui/live_chart.py: plotly.js copied once into static/, the figure sent to the Components v2 element,
and st.plotly_chart (with a logged reason) when static files are not served.

The browser side (one graph redrawn in place, stroke after stroke) is tested in tests/e2e/test_draw.py.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

from ui.live_chart import PLOTLY_JS, STATIC_NAME, THEME, _plotly_src, publish


def bars_page():
    """An app script: ten bars drawn by the live chart (AppTest runs it from a file in a fresh temporary folder)."""
    import numpy as np

    from ui.charts import STATIC_CHART, probability_bars
    from ui.live_chart import live_plotly_chart

    live_plotly_chart(probability_bars(np.full(10, 0.1), highlight=3), key="bars", config=STATIC_CHART)


@pytest.fixture
def static_serving():
    """Set server.enableStaticServing for one test. _plotly_src decides once per folder, and AppTest writes
    every script into the same temporary folder: forget its decisions before and after."""
    before = config.get_option("server.enableStaticServing")

    def serve(on: bool) -> None:
        config.set_option("server.enableStaticServing", on)
        _plotly_src.cache_clear()

    yield serve
    serve(before)


def test_publish_copies_once_and_replaces_a_different_file(tmp_path):
    target = tmp_path / "static" / STATIC_NAME
    assert publish(PLOTLY_JS, target) is True
    assert target.read_bytes() == PLOTLY_JS.read_bytes()
    assert publish(PLOTLY_JS, target) is False  # same size: left alone
    target.write_text("an older plotly.js")
    assert publish(PLOTLY_JS, target) is True and target.stat().st_size == PLOTLY_JS.stat().st_size
    assert [p.name for p in target.parent.iterdir()] == [STATIC_NAME]  # no temporary file left behind


def test_the_figure_goes_to_the_component_and_plotly_js_to_static(static_serving):
    static_serving(True)
    at = AppTest.from_function(bars_page).run()
    assert not at.exception
    assert not at.get("plotly_chart")
    (chart,) = at.get("bidi_component")
    assert chart.key == "bars" and chart.proto.isolate_styles is False  # plotly's CSS lives in the page's <head>
    data = json.loads(chart.proto.json)
    assert data["figure"]["data"][0]["y"] == [0.1] * 10
    assert data["figure"]["layout"]["template"] == THEME  # not plotly.py's default look
    assert data["config"]["staticPlot"] is True
    assert data["src"].startswith(f"/app/static/{STATIC_NAME}?v=")
    served = Path(at._script_path).parent / "static" / STATIC_NAME  # static/ next to the app script
    assert served.stat().st_size == PLOTLY_JS.stat().st_size


def test_without_static_serving_it_draws_with_plotly_chart_and_logs_why(static_serving, caplog):
    static_serving(False)
    with caplog.at_level(logging.ERROR, logger="ui.live_chart"):
        at = AppTest.from_function(bars_page).run()
    assert not at.exception
    assert [c.key for c in at.get("plotly_chart")] == ["bars"] and not at.get("bidi_component")
    assert "server.enableStaticServing is off" in caplog.text
