"""The session's data: the registry and My drawings of its lab (ui/workspace.py), opened once per lab.

    registry()        # Registry of $DIGITLAB_HOME, in this session's workspace
    drawing_store()   # DrawingStore of the same

Cached with st.cache_resource, which every session shares, so the cache is keyed by the workspace:
a Registry or DrawingStore only ever reads and writes its own workspace's rows (model/db.py).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from model.drawings import DrawingStore
from model.registry import Registry, data_home
from model.workspace import Workspace
from ui.workspace import current_workspace


@st.cache_resource(show_spinner=False, max_entries=1000)
def _registry(home: str, workspace: Workspace) -> Registry:
    return Registry(Path(home), workspace)


@st.cache_resource(show_spinner=False, max_entries=1000)
def _drawings(home: str, workspace: Workspace) -> DrawingStore:
    return DrawingStore(Path(home), workspace)


def registry() -> Registry:
    """This lab's models (every call reads fresh rows)."""
    return _registry(str(data_home()), current_workspace())


def drawing_store() -> DrawingStore:
    """This lab's saved drawings."""
    return _drawings(str(data_home()), current_workspace())
