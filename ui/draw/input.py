"""Where the Draw page's picture comes from: the canvas, or an uploaded image of a digit.

Both end as a `DrawingInput` holding the raw uint8 picture that goes through `to_mnist`.
Page tests inject a drawing by setting st.session_state[CANVAS_KEY] to the canvas
component's state, {"drawing": {"raw": ..., "data": "data:image/png;base64,..."}}.
"""

from __future__ import annotations

import base64
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st
import streamlit_drawable_canvas
from PIL import Image
from streamlit_drawable_canvas import st_canvas

from model.images import ImageError, load_image

CANVAS_KEY = "draw_canvas"  # the canvas widget's key (its state is the drawing)
CANVAS_SIDE = 280  # canvas width and height, px; what the browser sends back is this size
STROKE_KEY = "draw_stroke"
DEFAULT_STROKE = 18  # pen width, px: about MNIST's stroke (2 of 28 px) scaled to the canvas
STROKE_RANGE = (6, 40)
INK = "#111827"  # pen colour; the canvas background is transparent, so the ink is the alpha channel
UPLOAD_KEY = "draw_upload"
UPLOAD_TYPES = ["png", "jpg", "jpeg", "gif", "webp", "bmp"]
STORED_SIDE = 280  # uploads are stored as a PNG no larger than this on each side

# streamlit-drawable-canvas 0.13 parks its floating toolbar, invisible until the canvas is hovered, over the
# canvas' top-right 30 px (.dc-toolbar at top: -1rem; hovered, it slides up to -2.65rem): a stroke that starts
# there lands on the toolbar and is lost, and a finger never hovers. These rules put the toolbar, in every
# state, in a band of the component's own above the canvas (with Streamlit's 1rem gap above each element),
# and on a screen that cannot hover (a phone) always shown: undo and reset must be there for a finger too.
TOOLBAR_ABOVE_CANVAS = """
.canvas-root { padding-top: 1.4rem; }
.dc-toolbar, .dc-root:hover > .dc-toolbar, .dc-toolbar:hover, .dc-toolbar:focus-within,
.dc-toolbar[data-pinned=true] { top: auto; bottom: 100%; padding: 0 0 .25rem .5rem; transition: opacity .15s .1s; }
@media (hover: none) { .dc-toolbar { opacity: 1; } }
"""
# The component registered again under its own name, with its own HTML, JS and CSS plus the rules above:
# Streamlit uses a name's last definition (and logs once that it replaced one).
_CANVAS_CSS = next((Path(streamlit_drawable_canvas.__file__).parent / "frontend" / "build").glob("index-*.css"))
st.components.v2.component(
    "streamlit-drawable-canvas.streamlit_drawable_canvas",
    html='<div class="canvas-root"></div>',
    js="index-*.js",
    css=_CANVAS_CSS.read_text() + TOOLBAR_ABOVE_CANVAS,
    isolate_styles=True,
)


@dataclass(frozen=True)
class DrawingInput:
    source: str  # "canvas" or "upload"
    image: np.ndarray | None  # (H, W), (H, W, 3) or (H, W, 4) uint8; None when nothing is there
    png: bytes | None  # the picture as PNG, stored with a saved drawing
    digest: str  # identifies this exact picture: unchanged digest -> nothing to recompute


def canvas_drawing() -> DrawingInput:
    """What is on the canvas now, read from the state the browser sent, before the canvas is drawn this run.

    The Draw page sends its reading before it redraws the canvas: the browser re-renders the canvas
    element on every rerun, and that work would otherwise come first. A picture it cannot read counts as
    nothing here; `canvas_input`, which draws the canvas afterwards, says why under it."""
    drawing = (st.session_state.get(CANVAS_KEY) or {}).get("drawing") or {}
    url = drawing.get("data")
    return _canvas_picture(base64.b64decode(url.split(";base64,", 1)[-1]) if url else None, say_why=False)


def canvas_input(known: DrawingInput | None = None) -> DrawingInput:
    """The drawing canvas, with the pen width `pen_width_ui` set; returns what is on it now
    (`known`, what `canvas_drawing` read this run, when it is the same picture: not decoded twice)."""
    stroke = st.session_state.get(STROKE_KEY, DEFAULT_STROKE)
    result = st_canvas(
        stroke_width=stroke,
        stroke_color=INK,
        width=CANVAS_SIDE,
        height=CANVAS_SIDE,
        drawing_mode="freedraw",
        return_image_data=True,
        key=CANVAS_KEY,
    )
    png = result.image_bytes
    if known is not None and png and hashlib.sha1(png).hexdigest() == known.digest:
        return known
    return _canvas_picture(png)


def _canvas_picture(png: bytes | None, say_why: bool = True) -> DrawingInput:
    """The canvas PNG -> DrawingInput; an empty canvas, or one we cannot read (said in st.error), is nothing."""
    if not png:
        return DrawingInput("canvas", None, None, "")
    try:
        image = load_image(png, name="the canvas")
    except ImageError as error:
        if say_why:
            st.error(str(error))
        return DrawingInput("canvas", None, None, "")
    return DrawingInput("canvas", image, png, hashlib.sha1(png).hexdigest())


def pen_width_ui() -> None:
    """The pen width slider shown under the canvas (drawn with the page: a change reruns it all)."""
    st.slider(
        "Pen width",
        *STROKE_RANGE,
        value=DEFAULT_STROKE,
        step=1,
        key=STROKE_KEY,
        format="%d px",
        help="Thicker pens look more like MNIST's strokes once the drawing is shrunk to 28x28.",
    )


def upload_input() -> DrawingInput:
    """A file uploader; an image we refuse gets one sentence in st.error and counts as nothing."""
    file = st.file_uploader(
        "A picture of one handwritten digit",
        type=UPLOAD_TYPES,
        key=UPLOAD_KEY,
        help="Dark ink on light paper or light on dark both work; crop it roughly to the digit.",
    )
    if file is None:
        return DrawingInput("upload", None, None, "")
    data = file.getvalue()
    try:
        image = load_image(data, name=file.name)
    except ImageError as error:
        st.error(str(error))
        return DrawingInput("upload", None, None, "")
    return DrawingInput("upload", image, _stored_png(image), hashlib.sha1(data).hexdigest())


def _stored_png(image: np.ndarray) -> bytes:
    """The upload shrunk to at most STORED_SIDE px a side, as PNG: enough to show it again later."""
    picture = Image.fromarray(image)
    picture.thumbnail((STORED_SIDE, STORED_SIDE))
    buf = io.BytesIO()
    picture.save(buf, format="PNG")
    return buf.getvalue()
