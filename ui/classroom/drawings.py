"""The class's drawings pooled by digit: per digit its count, then the drawings (newest first, at most SHOWN),
each with its student's nickname and a way to remove it.

    drawings_ui(room, pooled)     # pooled = classes.class_drawings(home, room)
"""

from __future__ import annotations

import html

import numpy as np
import streamlit as st

from model import classes
from model.classes import ClassDrawings, Classroom
from model.registry import data_home
from model.spec import N_CLASSES
from ui.errors.gallery import enlarged

SHOWN = 24  # drawings of one digit on the page at once
THUMB_PX = 84  # the 28x28 input at 3x, nearest-neighbour
TILE_PX = 120  # a tile's width: the thumbnail, its nickname and the remove button; tiles wrap to the screen


def drawings_ui(room: Classroom, pooled: ClassDrawings) -> None:
    st.subheader(f"The class's drawings ({len(pooled):,})")
    if not len(pooled):
        st.info(
            "No drawings yet. On the Draw page, each student draws a digit and saves it with Teach it; "
            "every drawing saved shows up here, by digit.",
            icon=":material/draw:",
        )
        return
    counts = np.bincount(pooled.y, minlength=N_CLASSES)
    if st.session_state.get("class_digit") is None:  # first visit, or the pill was clicked off
        st.session_state.class_digit = int(np.argmax(counts > 0))  # the smallest digit anyone drew
    digit = st.pills("Digit", list(range(N_CLASSES)), key="class_digit", format_func=lambda d: f"{d} · {counts[d]}")
    positions = np.flatnonzero(pooled.y == digit)[::-1]  # newest first
    if not len(positions):
        st.caption(f"Nobody has saved a {digit} yet.")
        return
    more = f" Showing the newest {SHOWN} of {len(positions):,}." if len(positions) > SHOWN else ""
    st.caption(f"{len(positions):,} drawings of a {digit}, as the network sees them (28×28 pixels).{more}")
    with st.container(horizontal=True, gap="small"):
        for pos in positions[:SHOWN]:
            tile_ui(room, pooled, int(pos))


def tile_ui(room: Classroom, pooled: ClassDrawings, pos: int) -> None:
    drawing_id = int(pooled.ids[pos])
    with st.container(border=True, width=TILE_PX, gap="small", key=f"class_tile_{drawing_id}"):
        st.image(enlarged(pooled.x[pos], THUMB_PX), width=THUMB_PX)
        st.html(  # the nickname as text, cut to the tile's width (its full text on hover)
            f"<div title='{html.escape(pooled.nicknames[pos])}' style='font-size:0.8rem;white-space:nowrap;"
            f"overflow:hidden;text-overflow:ellipsis'>{html.escape(pooled.nicknames[pos])}</div>"
        )
        with st.popover("Remove", width="stretch"):
            st.caption("This drawing is deleted from the student's lab too.")
            st.button(
                "Remove for good",
                key=f"class_remove_drawing_{drawing_id}",
                type="primary",
                on_click=classes.remove_drawing,
                args=(data_home(), room, drawing_id),
            )
