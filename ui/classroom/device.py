"""This device's way back into a class: one cookie per class, holding the student's lab key.

    remember(room, key)      # after joining: a script in the page sets digitlab_class_<class id>
    remembered(home, room)   # on the join link later: (key, workspace, nickname) if that lab is in THIS class

Streamlit cannot set a cookie from the server, so st.html runs one line of JavaScript in the page (path=/,
SameSite=Lax, a year; Secure over https). st.context.cookies holds those the browser sent when it loaded
the page. A cookie is trusted no further than the check: its key opens a lab, and that lab is in this class.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from model import classes, db
from model.classes import Classroom
from model.workspace import Workspace, is_key, key_hash

COOKIE_PREFIX = "digitlab_class_"
MAX_AGE_S = 365 * 24 * 3600  # a school year and then some


def cookie_name(room: Classroom) -> str:
    return f"{COOKIE_PREFIX}{room.id}"  # a class id is hex: a valid cookie name


def remember(room: Classroom, key: str) -> None:
    """Keep `key` in this browser for `room`'s join link (a key is url-safe base64: a valid cookie value)."""
    if not is_key(key):
        raise ValueError("only a lab's key is kept in a cookie.")
    cookie = f"{cookie_name(room)}={key}; path=/; max-age={MAX_AGE_S}; SameSite=Lax"
    st.html(
        f"<script>document.cookie = '{cookie}' + (location.protocol === 'https:' ? '; Secure' : '');</script>",
        unsafe_allow_javascript=True,
    )


def _cookies() -> dict[str, str]:
    return dict(st.context.cookies)


def remembered(home: Path, room: Classroom) -> tuple[str, Workspace, str] | None:
    """(key, workspace, nickname) of the lab this device joined `room` with, if its key still opens a lab
    that is a member of `room`; None otherwise (no cookie, a bad key, a removed student, another class)."""
    key = _cookies().get(cookie_name(room))
    if not is_key(key):
        return None
    workspace = db.workspace_for_key(home, key_hash(key))
    found = classes.class_of(home, workspace) if workspace is not None else None
    if found is None or found[0].id != room.id:
        return None
    return key, workspace, found[1]
