"""The class's join link on the teacher's page: the full address, a QR code big enough for a classroom screen,
a copy box, closing and opening joining, and a new link that retires the old one.

    link_ui(room, big=True)    # the teacher's page

The join key is an invitation meant for a classroom screen, so the store keeps it as itself (model/classes.py)
and the page can show it at any time; a new link retires the old one.
"""

from __future__ import annotations

import streamlit as st

from model import classes
from model.classes import Classroom
from model.registry import data_home
from ui.classroom.join import JOIN_PARAM
from ui.workspace import page_url, qr_png

QR_PX, QR_BIG_PX = 360, 440  # the QR code's width beside the roster, and alone (no students yet)
QR_SCALE = 12  # px per module: drawn at about the size shown, so the browser does not blur it


def link_ui(room: Classroom, big: bool) -> None:
    """The join link, its QR code (bigger while nobody has joined), open/close, and a new link."""
    st.subheader("Join link")
    if not room.joining_open:
        st.warning("Joining is closed: the link lets nobody new in, until you open it again.", icon=":material/lock:")
    else:
        url = page_url(JOIN_PARAM, room.join_key)  # the page is /Class
        if big:
            st.info(
                "No students yet. Students join by scanning this, or by opening the link below.",
                icon=":material/qr_code_2:",
            )
        st.image(qr_png(url, scale=QR_SCALE), width=QR_BIG_PX if big else QR_PX)
        st.code(url, language=None, wrap_lines=True)
        if not big:
            st.caption("Students join by scanning this with their phone, or by opening the link.")
    toggle_col, new_col = st.columns(2)
    toggle_col.button(
        "Close joining" if room.joining_open else "Open joining",
        icon=":material/lock:" if room.joining_open else ":material/lock_open:",
        key="class_joining",
        width="stretch",
        on_click=classes.set_joining,
        args=(data_home(), room, not room.joining_open),
    )
    with new_col.popover("New join link", icon=":material/autorenew:", width="stretch"):
        st.caption(
            "The old link stops working at once: whoever has not joined yet needs the new one. "
            "Students already in the class keep their labs."
        )
        st.button("Make a new join link", key="class_new_link", type="primary", on_click=_new_link, args=(room,))


def _new_link(room: Classroom) -> None:
    classes.new_join_key(data_home(), room)
