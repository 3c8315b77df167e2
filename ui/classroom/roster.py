"""Who is in the class: nickname, drawings, models, last seen (one query: classes.members); removing a student.

roster_ui(room, members)
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from model import classes
from model.classes import Classroom, Member
from model.registry import data_home
from model.workspace import Workspace


def roster_table(members: list[Member]) -> pd.DataFrame:
    """One row per student, in the order they joined; nicknames stay text (dataframe cells are never markup)."""
    return pd.DataFrame(
        {
            "Nickname": [m.nickname for m in members],
            "Drawings": [m.drawings for m in members],
            "Models": [m.models for m in members],
            "Last seen": pd.to_datetime([m.last_seen for m in members], utc=True),
        }
    )


def roster_ui(room: Classroom, members: list[Member]) -> None:
    st.subheader(f"Students ({len(members)} of at most {room.max_students})")
    if not members:
        st.caption("Nobody has joined yet. Each student who joins shows up here with what they saved.")
        return
    st.dataframe(
        roster_table(members),
        hide_index=True,
        key="class_roster",
        column_config={"Last seen": st.column_config.DatetimeColumn("Last seen", format="distance")},
    )
    nicknames = {m.workspace.id: m.nickname for m in members}
    with st.popover("Remove a student", icon=":material/person_remove:"):
        student = st.selectbox("Student", list(nicknames), format_func=nicknames.get, key="class_remove_who")
        st.caption("Their lab goes with everything in it: drawings and models. This cannot be undone.")
        st.button(
            "Remove this student for good",
            key="class_remove_student",
            type="primary",
            on_click=_remove,
            args=(room, student),
        )


def _remove(room: Classroom, student_id: str) -> None:
    classes.remove_student(data_home(), room, Workspace(student_id))  # refused for anyone not in the class
