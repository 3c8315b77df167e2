"""Shared fixtures: every test gets its own empty data directory, so nothing touches var/."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(autouse=True)
def digitlab_home(tmp_path_factory, monkeypatch) -> Path:
    home = tmp_path_factory.mktemp("digitlab-home")
    monkeypatch.setenv("DIGITLAB_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def mnist():
    from training.data import load_mnist

    return load_mnist()


def page_test(page: str, timeout: float = 120, **state):
    """An AppTest of one page of the app as the server runs it: app.py is the entry point (so the
    sidebar's page links resolve), then it switches to `page` ("pages/1_Train.py"), with `state`
    put into Session State before the page's first run. Returns the AppTest after that run."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=timeout).run()
    at.switch_page(page)
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()
