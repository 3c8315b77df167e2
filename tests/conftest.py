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


class Downloads:
    """What deferred download buttons (`st.download_button(data=callable)`) hand over, for AppTest.

    AppTest keeps no media files after a run, so the fixture records each callable as Streamlit registers
    it: `downloads.of(at.download_button(key=...))` -> (the bytes a click would download, the file name)."""

    def __init__(self):
        self.handed: dict[str, tuple] = {}  # deferred file id -> (callable, file name)

    def of(self, button) -> tuple[bytes, str]:
        data, file_name = self.handed[button.proto.deferred_file_id]
        return data(), file_name


@pytest.fixture
def downloads(monkeypatch) -> Downloads:
    from streamlit.runtime.media_file_manager import MediaFileManager

    found, add = Downloads(), MediaFileManager.add_deferred

    def add_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        file_id = add(self, data_callable, mimetype, coordinates, file_name=file_name, **kwargs)
        found.handed[file_id] = (data_callable, file_name)
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    return found
