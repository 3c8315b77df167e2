"""Shared fixtures: every test gets its own empty data directory, so nothing touches var/.

A test that takes `store` runs twice: on SQLite (the file in the data directory) and on PostgreSQL (a new
database on one server per session, started when the first such test runs).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
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


@pytest.fixture(autouse=True)
def no_workers(monkeypatch):
    """No training worker in a page test's server unless the test asks for one (the `workers` fixture): each test
    has its own data directory, and a worker per directory would keep polling its queue for the whole session."""
    monkeypatch.setenv("DIGITLAB_WORKERS", "0")


@pytest.fixture
def workers(digitlab_home):
    """Start n worker threads on this test's queue, as a server's embedded ones; stopped after the test."""
    from training.queue import consumer_for

    started = []

    def start(n: int = 1):
        consumer = consumer_for(digitlab_home, n)
        consumer._set_signal_handlers = lambda: None  # pytest owns the signals
        consumer.start()
        started.append(consumer)
        return consumer

    yield start
    from sqlalchemy import update

    from model import runs
    from model.db import engine

    with engine(digitlab_home).begin() as conn:  # a test that failed mid-run leaves nothing training
        conn.execute(update(runs.runs).where(runs.runs.c.status.in_(runs.RUNNING)).values(stop="discard"))
        conn.execute(update(runs.runs).where(runs.runs.c.status == runs.QUEUED).values(status="cancelled"))
    for consumer in started:
        consumer.shutdown_timeout = 60
        consumer.stop(graceful=True)


@pytest.fixture(scope="session")
def postgres():
    """One PostgreSQL server for the session (tests/postgres.py); each test that asks gets a database in it."""
    from tests.postgres import postgres_server

    with postgres_server() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    """The database under the store in this test."""
    return request.param


@pytest.fixture
def empty_database(backend, request, tmp_path_factory) -> Callable[[], str]:
    """Makes a new empty database on the test's backend and returns its SQLAlchemy URL."""
    if backend == "postgresql":
        from sqlalchemy.engine import make_url

        server = request.getfixturevalue("postgres")
        return lambda: make_url(server.new_database()).set(drivername="postgresql+psycopg").render_as_string(False)
    return lambda: f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'empty.sqlite3'}"


@pytest.fixture
def store(backend, request, digitlab_home, monkeypatch) -> Iterator[Path]:
    """The data directory, with its store on the test's backend: the SQLite file in it, or a new PostgreSQL
    database that DIGITLAB_DATABASE_URL names (as a server sets it; the test's child processes inherit it)."""
    from model import db

    if backend == "postgresql":
        monkeypatch.setenv("DIGITLAB_DATABASE_URL", request.getfixturevalue("postgres").new_database())
    yield digitlab_home
    url = db.database_url()
    if url in db._ENGINES:  # its pool's connections close with the test: no engine outlives its database
        db._ENGINES.pop(url).dispose()


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
