"""Which class the teacher's page shows: a lab that teaches none gets a form to create one, several a picker.

FOR_STUDENTS if is_student()            # a student's lab sees nothing of the class here
room = chosen_class(workspace)           # None (after the form) while the lab teaches no class
"""

from __future__ import annotations

import streamlit as st

from model import classes
from model.classes import CLASS_NAME_CHARS, LIMITS, MAX_MODELS, MAX_STUDENTS, ClassError, Classroom
from model.registry import data_home
from model.workspace import Workspace
from ui.classroom.plain import alert, plain
from ui.workspace import current_student, current_workspace

ROOM_KEY = "class_room"  # session_state: the id of the class shown
CREATE_ERROR = "class_create_error"  # session_state: the sentence a refused creation left for the next run
FOR_STUDENTS = "The Class page is for your class's teacher; your drawings are on the Draw page."


def is_student() -> bool:
    """True if this session's lab is a student's in a class (ui/workspace.lab() looked it up)."""
    return current_student() is not None


def chosen_class(teacher: Workspace) -> Classroom | None:
    """The class to show: the only one, or the picked one; None after offering to create the first."""
    taught = classes.classes_taught(data_home(), teacher)
    if not taught:
        st.info(
            "Run a class from this lab: students join with a link or a QR code, pick a nickname and draw; "
            "you see everyone's drawings here, and how a model reads them.",
            icon=":material/school:",
        )
        create_ui(first=True)
        return None
    by_id = {room.id: room for room in taught}
    if st.session_state.get(ROOM_KEY) not in by_id:
        st.session_state[ROOM_KEY] = taught[0].id  # the newest
    if len(taught) > 1:  # an option's text is plain text, never markup: class names are safe here
        st.selectbox("Class", list(by_id), key=ROOM_KEY, format_func=lambda i: by_id[i].name)
    room = by_id[st.session_state[ROOM_KEY]]
    plain(room.name, size="1.6rem", weight=700)
    return room


def create_ui(first: bool) -> None:
    """Name and limits -> a new class, open for joining (a refusal is one sentence; nothing is created)."""
    with st.form("class_create", border=first):
        st.markdown("**Create a class**" if first else "**Create another class**")
        st.text_input(
            "Class name", placeholder=f"up to {CLASS_NAME_CHARS} characters, e.g. 7B maths", key="class_new_name"
        )
        students_col, models_col = st.columns(2)
        students_col.number_input(
            "Students at most", *LIMITS["max_students"], value=MAX_STUDENTS, step=1, key="class_new_students"
        )
        models_col.number_input(
            "Models per student at most", *LIMITS["max_models"], value=MAX_MODELS, step=1, key="class_new_models"
        )
        st.form_submit_button("Create the class", type="primary", on_click=_create)
    if error := st.session_state.pop(CREATE_ERROR, None):
        alert(error)


def _create() -> None:
    state = st.session_state
    try:
        room, _ = classes.create_class(
            data_home(),
            state.class_new_name,
            current_workspace(),  # this session's lab: the teacher's
            max_students=int(state.class_new_students),
            max_models=int(state.class_new_models),
        )
    except ClassError as error:
        state[CREATE_ERROR] = str(error)
        return
    state[ROOM_KEY] = room.id
    state.class_new_name = ""
