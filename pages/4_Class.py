"""Class page: a teacher runs a class on a shared server; students join it with a nickname and draw.

    make serve                                    # a shared server (classes need one)
    python -m model class create "7B maths"       # or the form on this page: prints the two links
    /Class?key=<the teacher's lab key>            # the teacher's view
    /Class?join=<join key>                        # students join: a nickname, then the Draw page in a lab of their own

Teacher: the join link (QR code, copy box, close joining, new link) | the roster -> the class's drawings by digit
-> a model on those drawings (clickable confusion matrix, whose digits it misreads) -> share a model, limits, zip.
A student's lab gets one sentence here; a join link is handled before any lab is opened.
"""

import streamlit as st

from model import classes
from model.registry import data_home
from ui.classroom.check import check_ui
from ui.classroom.drawings import drawings_ui
from ui.classroom.join import JOIN_PARAM, join_page
from ui.classroom.link import link_ui
from ui.classroom.rooms import FOR_STUDENTS, chosen_class, create_ui, is_student
from ui.classroom.roster import roster_ui
from ui.classroom.settings import export_ui, limits_ui, share_ui
from ui.nav import sidebar_nav
from ui.perf import tune_server
from ui.stores import start_workers_soon
from ui.workspace import lab, shared_mode

NEEDS_SHARED = "Classes need a shared server, where every student gets a lab of their own: start one with `make serve`."

st.set_page_config(page_title="Class · Digit Lab", page_icon=":material/school:", layout="wide")
tune_server()
if shared_mode() and JOIN_PARAM in st.query_params:
    join_page(st.query_params[JOIN_PARAM])  # stops the page: a join visit opens no lab
workspace = lab()  # the teacher's own lab, from the URL's key
start_workers_soon()  # this server's training workers, if it has any (DIGITLAB_WORKERS)
sidebar_nav()
st.title("Class")
if not shared_mode():
    st.info(NEEDS_SHARED, icon=":material/groups:")
    st.stop()
if is_student():
    st.info(FOR_STUDENTS, icon=":material/draw:")
    st.stop()
room = chosen_class(workspace)
if room is None:
    st.stop()

members, pooled = classes.members(data_home(), room), classes.class_drawings(data_home(), room)
link_col, roster_col = st.columns([1, 1.3] if members else [1.5, 1], gap="large")  # no one yet: a bigger QR code
with link_col:
    link_ui(room, big=not members)
with roster_col:
    roster_ui(room, members)
st.divider()
drawings_ui(room, pooled)
st.divider()
check_ui(pooled)
st.divider()
share_col, limits_col, export_col = st.columns(3, gap="large")
with share_col:
    share_ui(room)
with limits_col:
    limits_ui(room)
with export_col:
    export_ui(room)
with st.expander("Create another class"):
    create_ui(first=False)
