"""A bare canvas that only echoes the drawing back: the floor for the Draw page's stroke latency.

    .venv/bin/streamlit run bench/echo_app.py     (bench/browser_latency.py starts it for you)

The same st_canvas call as the Draw page (ui/draw/input.py: freedraw, 280x280, the same pen and
`return_image_data=True`), then only what proves the stroke arrived: "strokes: N" (the fabric.js
objects in json_data) and the canvas picture itself. No model, no preprocessing, no fragment.
"""

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from ui.draw.input import CANVAS_SIDE, DEFAULT_STROKE, INK  # the Draw page's own pen and size

st.set_page_config(page_title="Canvas echo", layout="wide")

result = st_canvas(
    stroke_width=DEFAULT_STROKE,
    stroke_color=INK,
    width=CANVAS_SIDE,
    height=CANVAS_SIDE,
    drawing_mode="freedraw",
    return_image_data=True,
    key="echo_canvas",
)
strokes = len((result.json_data or {}).get("objects", []))
picture = result.image_data  # (280, 280, 4) uint8, or None before the first stroke

with st.container(key="echo_result"):
    st.text(f"strokes: {strokes}")
    if picture is not None and strokes:
        st.image(picture, width=CANVAS_SIDE)
