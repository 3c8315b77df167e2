"""The session's data: the registry and My drawings of its lab (ui/workspace.py), opened once per lab.

    registry()        # Registry of $DIGITLAB_HOME, in this session's workspace
    drawing_store()   # DrawingStore of the same
    train_queue()     # the training queue as this lab sees it (training/queue.py); starts this server's workers

Cached with st.cache_resource, which every session shares, so the cache is keyed by the workspace:
a Registry or DrawingStore only ever reads and writes its own workspace's rows (model/db.py).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from model.drawings import DrawingStore
from model.registry import Registry, data_home
from model.workspace import Workspace
from ui.workspace import current_workspace

if TYPE_CHECKING:
    from training.queue import TrainQueue


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


@st.cache_resource(show_spinner=False)
def _workers(home: str) -> int:
    """This server's own workers (DIGITLAB_WORKERS, default 1; 0: training runs on workers elsewhere), once."""
    from training.queue import start_embedded

    return start_embedded(Path(home))


def start_workers_soon() -> None:
    """Every page: a moment after the server's first page is drawn, its workers start if runs are waiting (queued
    before a restart), so they go on even if nobody opens Train; else the Train page starts them when opened.
    A worker warms a TensorFlow child, which a server where people only draw need not pay for."""
    home = str(data_home())
    if home not in _SOON:
        _SOON.add(home)
        timer = threading.Timer(WORKERS_AFTER_S, _start_if_queued, args=(home,))
        timer.daemon = True  # a server stopped within those seconds does not wait for it
        timer.start()


def _start_if_queued(home: str) -> None:
    from model.runs import queue_counts

    try:
        if queue_counts(Path(home))[0]:
            _workers(home)
    except ValueError as error:  # DIGITLAB_WORKERS is not a number: the Train page says so too
        print(f"digitlab: no workers started: {error}", flush=True)


WORKERS_AFTER_S = 3.0  # s after the first page
_SOON: set[str] = set()


def train_queue() -> TrainQueue:
    """This lab's view of the training queue; the server's embedded workers are started on first use."""
    from training.queue import TrainQueue

    try:
        _workers(str(data_home()))
    except ValueError as error:  # DIGITLAB_WORKERS is not a number: the operator's to fix; runs still queue
        st.error(f"This server trains nothing itself: {error}", icon=":material/error:")
    return TrainQueue(data_home(), current_workspace())
