"""The Draw page's live panel: one st.fragment that reruns on every stroke, not the whole page.

The page around it (headings, captions, the Draw/Upload switch, the pen width) is drawn once
per full run; the fragment writes only what a stroke changes.

Per stroke it does only this: decode the canvas PNG, `preprocess_steps` (the `to_mnist` path),
`predict_proba` for each chosen model, a verdict, and small pictures. Models arrive already
loaded (cached); a rerun with an unchanged picture (another widget moved) reuses the analysis.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from model import Classifier
from model.explain import Verdict, judge
from model.preprocess import Steps, preprocess_steps
from model.registry import BUNDLED_NAME
from ui.draw.explain import sees_heading, sees_ui, why_heading, why_ui
from ui.draw.input import DrawingInput, canvas_drawing, canvas_input, pen_width_ui, upload_input
from ui.draw.result import prediction_ui, probabilities_caption
from ui.draw.teach import teach_heading, teach_ui
from ui.models import registry
from ui.perf import READING_HEAD_START, one_blas_thread

SOURCE_KEY = "draw_source"
PHONE_CSS = Path(__file__).with_name("phone.css")  # the narrow-screen order of the panel's parts
SOURCES = ("Draw", "Upload")
MEMO_KEY = "draw_analysis"  # (picture digest, models) -> Analysis of the last picture


@dataclass(frozen=True)
class Analysis:
    steps: Steps | None  # the preprocessing of the picture; None when there is no ink
    probs: dict[str, np.ndarray]  # model name -> (10,) probabilities, the reading model first; {} when empty
    verdict: Verdict  # what the reading model's probabilities mean for the user


def analyse(picture: DrawingInput, models: dict[str, Classifier]) -> Analysis:
    """Preprocess once, predict with every model; memoised on the picture and the models."""
    key = (picture.digest, tuple((name, clf.sha256) for name, clf in models.items()))
    memo = st.session_state.get(MEMO_KEY)
    if memo is not None and memo[0] == key:
        return memo[1]
    steps = None if picture.image is None else preprocess_steps(picture.image)
    probs = {} if steps is None else {name: clf.predict_proba(steps.image[None])[0] for name, clf in models.items()}
    analysis = Analysis(steps, probs, judge(steps, next(iter(probs.values()), None)))
    st.session_state[MEMO_KEY] = (key, analysis)
    return analysis


@dataclass(frozen=True)
class Slots:
    """Containers laid out once per full run that the live fragment rewrites on every stroke."""

    input: DeltaGenerator  # the canvas, or the uploader
    teach: DeltaGenerator  # the label pills and Save
    sees: DeltaGenerator  # the preprocessing pictures
    why: DeltaGenerator  # saliency and hidden layers


def live_panel(models: dict[str, Classifier]) -> None:
    """Canvas (or upload) and Teach it on the left, the reading on the right, the explanations below;
    on a phone, where columns stack, the reading comes right after the canvas (ui/draw/phone.css).

    Headings, captions, the Draw/Upload switch and the pen width are drawn here, once per full run.
    A stroke reruns only `_live`: its own body is the reading, and it rewrites the slots. Every
    element a stroke sends costs the browser a redraw, so static ones stay out of the fragment."""
    st.html(PHONE_CSS)  # on a phone: canvas, reading, pen width, Teach it (the keyed containers below)
    left, right = st.columns([5, 6], gap="large")
    with left:
        with st.container(key="draw_drawing"):
            source = (
                st.segmented_control("Input", SOURCES, default=SOURCES[0], key=SOURCE_KEY, label_visibility="collapsed")
                or SOURCES[0]
            )
            input_slot = st.container()
        if source == "Draw":
            with st.container(key="draw_pen"):
                pen_width_ui()
        with st.container(key="draw_teaching"):
            teach_heading()
            teach = st.container()
    sees_heading()
    sees = st.container()
    why_heading()
    why = st.container()
    with right, st.container(key="draw_reading"):
        _live(models, source, Slots(input_slot, teach, sees, why))
        probabilities_caption()


@st.fragment
def _live(models: dict[str, Classifier], source: str, slots: Slots) -> None:
    """Sends, in this order: the reading, the canvas (or the uploader's slot first), Teach it, the explanations.
    The browser renders messages in the order they come, and the reading is what a stroke waits for."""
    if any(name != BUNDLED_NAME and not registry().exists(name) for name in models):
        st.rerun()  # a model deleted in another tab: the full run says so and resets the pickers (app.py)
    reader = next(iter(models))
    if source == "Upload":
        with slots.input:
            picture = upload_input()
    else:
        picture = canvas_drawing()  # the stroke just sent; the canvas itself is redrawn after the reading
    with one_blas_thread():  # a busy second core made one forward pass 23 ms: docs/latency.md#blas
        previous = st.session_state.get(MEMO_KEY)
        analysis = analyse(picture, models)
        prediction_ui(analysis.verdict, analysis.probs)
        if source != "Upload":
            with slots.input:
                drawn = canvas_input(known=picture)
            if drawn.digest != picture.digest:  # a reading of another picture must not stay. Seen once a server
                # restarted under an open page: the new session's first run knows the canvas only once it is drawn.
                # That run is a full one, where a fragment-scoped rerun is an error: rerun the page.
                st.rerun()
        if analysis.steps is not None and (previous is None or previous[1] is not analysis):
            time.sleep(READING_HEAD_START)  # the reading is drawn before the explanations: docs/latency.md#head-start
        with slots.teach:
            teach_ui(picture, analysis.steps, analysis.verdict, reader)
        with slots.sees:
            sees_ui(analysis.steps)
        with slots.why:
            why_ui(analysis.steps, analysis.verdict, models[reader])
