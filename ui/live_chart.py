"""A plotly chart that stays mounted across reruns and is redrawn in place, for a chart that changes on
every stroke (the Draw page's probability bars).

    live_plotly_chart(probability_bars(probs, highlight=7), key="draw_probs_chart", config=STATIC_CHART)

Why not st.plotly_chart: its element id hashes the figure, so whenever the figure changes the browser
unmounts the chart and builds a new plotly graph from scratch (~80 ms a stroke on this machine). This is
a Components v2 element whose identity is its key alone (`_bidi_component` passes key_as_main_identity=True),
so the browser keeps it, and whose JavaScript (ui/live_chart.js) hands each new figure to Plotly.react.

plotly.js (4.8 MB) is not sent with the element (a component's JS is re-sent with every render): it is
copied from the plotly package into static/ next to the app script, which Streamlit serves at /app/static/
(server.enableStaticServing in .streamlit/config.toml), and loaded once per page. If that cannot be done,
the chart is drawn by st.plotly_chart as before (it works, only slower) and the server log says why.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import tempfile
from pathlib import Path

import plotly
import plotly.graph_objects as go
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

_LOGGER = logging.getLogger(__name__)
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"  # the plotly.js the package bundles
STATIC_NAME = "plotly.min.js"  # its copy under the app's static/ (git-ignored)

# What Streamlit's plotly theme gives a chart drawn by st.plotly_chart, and that a graph drawn here would
# otherwise lack (it replaces plotly.py's default template). The font family is the app's: live_chart.js
# reads it from the page. A figure's own layout values still win over these.
THEME = {
    "layout": {
        "font": {"color": "#808495", "size": 12},
        "margin": {"pad": 8},
        "xaxis": {"showgrid": False, "zeroline": False, "gridcolor": "#e6eaf1", "zerolinecolor": "#e6eaf1"},
        "yaxis": {"gridcolor": "#e6eaf1", "zerolinecolor": "#e6eaf1", "ticklabelposition": "outside"},
        "legend": {"font": {"color": "#262730", "size": 12}, "bordercolor": "transparent", "borderwidth": 0},
    }
}

_component = st.components.v2.component(
    "live_plotly_chart",
    js=(Path(__file__).parent / "live_chart.js").read_text(),
    isolate_styles=False,  # plotly.js puts its CSS in the document's <head>, which a shadow root would not see
)


def live_plotly_chart(fig: go.Figure | dict, *, key: str, config: dict | None = None) -> None:
    """Draw `fig` (a go.Figure, or a figure dict {"data", "layout"} sent as it is, unvalidated) in one plotly
    graph that the browser keeps for this `key` and updates with each new figure.

    Wrapped in `.st-key-<key>` like a keyed st.plotly_chart; the graph div is `.js-plotly-plot`."""
    src = _plotly_src(_static_dir())
    if src is None:  # _plotly_src has logged why
        st.plotly_chart(fig, config=config, key=key)
        return
    spec = fig if isinstance(fig, dict) else fig.to_plotly_json()  # a go.Figure's layout has plotly.py's template
    figure = {"data": spec["data"], "layout": {**spec.get("layout", {}), "template": THEME}}
    _component(key=key, data={"figure": figure, "config": config or {}, "src": src})


def _static_dir() -> Path | None:
    """The folder Streamlit serves at /app/static/: static/ next to the running app's main script."""
    ctx = get_script_run_ctx()
    return Path(ctx.main_script_path).resolve().parent / "static" if ctx and ctx.main_script_path else None


@functools.cache
def _plotly_src(static_dir: Path | None) -> str | None:
    """plotly.js's URL once it is in `static_dir`, or None after logging why it cannot be (once per process)."""
    if static_dir is None:
        return None  # no Streamlit run (bare mode): nothing is drawn anyway
    if not st.get_option("server.enableStaticServing"):
        _LOGGER.error(
            "live chart: server.enableStaticServing is off, so plotly.js cannot be served from %s; "
            "drawing with st.plotly_chart instead (it rebuilds the chart on every change)",
            static_dir,
        )
        return None
    try:
        publish(PLOTLY_JS, static_dir / STATIC_NAME)
    except OSError:
        _LOGGER.exception(
            "live chart: could not copy %s into %s; drawing with st.plotly_chart instead "
            "(it rebuilds the chart on every change)",
            PLOTLY_JS,
            static_dir,
        )
        return None
    base = st.get_option("server.baseUrlPath").strip("/")
    # the plotly package's version in the URL: a browser that cached an older plotly.js fetches the new one
    return f"{'/' + base if base else ''}/app/static/{STATIC_NAME}?v={plotly.__version__}"


def publish(source: Path, target: Path) -> bool:
    """Copy `source` to `target` unless a file of the same size is there; returns whether it copied.

    Written to a temporary file and renamed, so a browser (or another session's copy) never reads half a file."""
    if target.exists() and target.stat().st_size == source.stat().st_size:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes it private; a static file is for anyone to read
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            shutil.copyfileobj(src, out)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True
