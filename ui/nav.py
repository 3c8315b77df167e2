"""The sidebar's page links: "Draw", "Train", "Errors", "Inside" (Streamlit's own list would call the Draw page "app").

    sidebar_nav()   # on every page, right after st.set_page_config

.streamlit/config.toml hides Streamlit's automatic list (client.showSidebarNavigation = false);
the pages stay in pages/, so their URLs are /, /Train, /Errors and /Inside; a shared server adds /Class,
except for students.
"""

from __future__ import annotations

import streamlit as st

from ui.workspace import KEY_PARAM, current_key, current_student, lab_ui, shared_mode

PAGES = (  # (script, label, icon), in the order the sidebar lists them
    ("app.py", "Draw", ":material/draw:"),
    ("pages/1_Train.py", "Train", ":material/model_training:"),
    ("pages/2_Errors.py", "Errors", ":material/troubleshoot:"),
    ("pages/3_Inside.py", "Inside", ":material/neurology:"),
)
CLASS_PAGE = ("pages/4_Class.py", "Class", ":material/groups:")  # a shared server's, for its teachers


def sidebar_nav() -> None:
    """The page links (carrying a shared server's lab key: Streamlit's navigation drops the query string),
    then this lab's link to keep."""
    key = current_key()
    params = {KEY_PARAM: key} if key else None
    with st.sidebar:
        st.markdown("### Digit Lab")
        pages = [*PAGES, CLASS_PAGE] if shared_mode() and current_student() is None else PAGES
        for script, label, icon in pages:
            st.page_link(script, label=label, icon=icon, query_params=params)
        st.divider()
        lab_ui()
