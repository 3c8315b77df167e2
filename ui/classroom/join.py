"""The join link's page (/Class?join=<join key>): a student picks a nickname and gets a lab in the class.

    join_page(join_key)     # before ui.workspace.lab(): a join visit opens no lab until the student joins

A key that opens no class gets one sentence and creates nothing. The form asks for a nickname only, and
says the teacher sees the drawings the student saves. On joining: this session enters the new lab, this
device remembers it (device.py) and the Draw page opens. The same device back on the link is offered its
own lab again (or to join as someone else).
"""

from __future__ import annotations

import streamlit as st

from model import classes
from model.classes import NICKNAME_CHARS, ClassError, Classroom
from model.registry import data_home
from model.workspace import Workspace
from ui.classroom import device
from ui.classroom.plain import alert, plain
from ui.workspace import enter_lab

JOIN_PARAM = "join"  # the query parameter holding a class's join key
SOMEONE_ELSE = "class_someone_else"  # session_state: the class id whose "Welcome back" this visitor declined
JOINED = "class_joined"  # session_state: (class id, key, nickname) of a join the browser has yet to remember
SHOWN = "class_joined_shown"  # session_state: the key whose cookie script the browser has been sent
HAND_OFF_S = 0.6  # s: the browser's timer asks for the Draw page after running the cookie's script
NO_CLASS = (
    "This join link does not open any class: it may have been mistyped or cut short, or your teacher made "
    "a new one. Nothing was created."
)
PRIVACY = "Only a nickname, please: no email, no real name. Your teacher sees the drawings you save in the class."
FORM_WIDTH = 520  # px: the form's width on a desktop; a phone's screen is narrower and gets all of it


def join_page(join_key: str) -> None:
    """The whole page for a join link; always ends the run (st.stop or st.switch_page)."""
    home = data_home()
    room = classes.class_for_join(home, join_key)
    if room is None:
        st.error(NO_CLASS, icon=":material/link_off:")
        st.stop()
    with st.container(width=FORM_WIDTH):
        st.caption("You are invited to join the class")
        plain(room.name, size="1.9rem", weight=700)
        joined, back = st.session_state.get(JOINED), device.remembered(home, room)
        if joined is not None and joined[0] == room.id:
            joined_ui(room, *joined[1:])
        elif back is not None and st.session_state.get(SOMEONE_ELSE) != room.id:
            welcome_back_ui(room, *back)
        elif not room.joining_open:
            alert(f"Joining {room.name!r} is closed; ask your teacher to open it again.", "warning")
        else:
            join_form_ui(room)
    st.stop()


def join_form_ui(room: Classroom) -> None:
    st.info(PRIVACY, icon=":material/visibility:")
    with st.form("class_join", border=False):
        # no max_chars: Streamlit would cut a longer one silently; the store refuses it in one sentence
        nickname = st.text_input(
            "Your nickname",
            placeholder=f"up to {NICKNAME_CHARS} characters, e.g. Sam or Rocket 7",
            key="class_nickname",
        )
        joined = st.form_submit_button("Join the class", type="primary", width="stretch")
    if not joined:
        return
    try:
        student, key = classes.join(data_home(), room, nickname)
    except ClassError as error:  # closed, full, a taken or a bad nickname: nothing was created
        alert(str(error))
        return
    enter_lab(key, student)  # this session works in the student's lab from now on
    st.session_state[JOINED] = (room.id, key, classes.check_nickname(nickname))
    st.rerun()


def joined_ui(room: Classroom, key: str, nickname: str) -> None:
    """Joined: the browser keeps the key in a cookie, then opens the Draw page.

    st.switch_page in the same run would replace the page before the browser ran the cookie's script, so the
    switch waits for the next run of a timed fragment: the browser asks for it after showing this one."""
    plain(f"Welcome to the class, {nickname}!", size="1.3rem", weight=600)
    st.caption("Opening the Draw page: draw a digit, and save it with Teach it.")
    device.remember(room, key)
    _hand_off(key)


@st.fragment(run_every=HAND_OFF_S)
def _hand_off(key: str) -> None:
    state = st.session_state
    if state.get(SHOWN) == key:  # a run the browser asked for: it has run the script above
        state.pop(JOINED, None)
        state.pop(SHOWN, None)
        st.switch_page("app.py", query_params={"key": key})
    state[SHOWN] = key
    st.button("Start drawing", type="primary", width="stretch", key="class_start")  # a tap reruns this too


def welcome_back_ui(room: Classroom, key: str, student: Workspace, nickname: str) -> None:
    plain(f"Welcome back, {nickname}!", size="1.3rem", weight=600)
    st.caption("This device joined the class before: your lab and your drawings are waiting.")
    if st.button("Continue into my lab", type="primary", width="stretch", key="class_continue"):
        enter_lab(key, student)
        st.switch_page("app.py", query_params={"key": key})
    st.button(
        "I'm someone else: join with another nickname",
        width="stretch",
        key="class_someone_else_button",
        on_click=lambda: st.session_state.update({SOMEONE_ELSE: room.id}),
    )
