"""The class's settings on the teacher's page: share a model, the limits, the drawings to take home.

share_ui(room); limits_ui(room); export_ui(room)
"""

from __future__ import annotations

import streamlit as st

from model import classes
from model.classes import LIMITS, ClassError, Classroom
from model.registry import data_home
from ui.classroom.export import ZIP_NAME, class_zip
from ui.classroom.plain import alert
from ui.models import record_label
from ui.stores import registry

NOBODY = ""  # the share picker's "no model shared"


def share_ui(room: Classroom) -> None:
    """One of the teacher's own models, read-only in every student's pickers (the bundled one is everyone's)."""
    st.markdown("**Share a model with the class**")
    own = {r.name: r for r in registry().records() if not r.bundled and not r.from_class}
    if not own:
        st.caption("Train a model on the Train page; then you can share it with the class here.")
        return
    st.caption("The model shows in every student's model pickers, read-only: they can use it, not change it.")
    options = [NOBODY, *own]
    shared = room.shared_model if room.shared_model in own else NOBODY
    name = st.selectbox(
        "Shared model",
        options,
        index=options.index(shared),
        key=f"class_share_{room.id}_{shared}",  # a new widget when the shared model changes elsewhere
        format_func=lambda n: "none shared" if n == NOBODY else record_label(own[n]),
    )
    if name != shared:
        classes.share_model(data_home(), room, name or None)
        st.rerun()


def limits_ui(room: Classroom) -> None:
    st.markdown("**Limits**")
    with st.form(f"class_limits_{room.id}", border=False):
        students = st.number_input(
            "Students at most",
            *LIMITS["max_students"],
            value=room.max_students,
            step=1,
            key=f"class_max_students_{room.id}",
        )
        models = st.number_input(
            "Models per student at most",
            *LIMITS["max_models"],
            value=room.max_models,
            step=1,
            key=f"class_max_models_{room.id}",
        )
        runs = st.number_input(
            "Runs training or waiting at once, for the whole class",
            *LIMITS["max_runs"],
            value=room.max_runs,
            step=1,
            key=f"class_max_runs_{room.id}",
            help="Each student's lab trains one model at a time; this caps the class's share of the training queue.",
        )
        saved = st.form_submit_button("Save the limits")
    if saved:
        try:
            classes.set_limits(data_home(), room, int(students), int(models), int(runs))
        except ClassError as error:
            alert(str(error))
        else:
            st.success("Saved.", icon=":material/check:")


def export_ui(room: Classroom) -> None:
    st.markdown("**Take the drawings home**")
    st.caption(
        "MNIST-format files that any MNIST loader reads, the original pictures, and drawings.csv with each "
        "drawing's label, reading and nickname."
    )
    st.download_button(
        "Download the class's drawings (zip)",
        data=lambda: class_zip(data_home(), room),
        file_name=ZIP_NAME,
        mime="application/zip",
        icon=":material/download:",
        key="class_export",
        on_click="ignore",
    )
