"""The several-machines recipe (docs/deploy.md) in real parts: a real PostgreSQL, one `python -m training worker`,
two Streamlit replicas on two ports with no workers of their own, each process with a data directory of its own
(as on separate machines: only DIGITLAB_DATABASE_URL is shared), and Chromium with a context per person.

.venv/bin/python -m pytest tests/e2e/test_replicas.py -q
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from model.runs import LOST
from tests.e2e.browser import REPO, fill_train_form, start_server, stop_server

RUN_MS = 240_000  # TensorFlow start-up and a small epoch, three runs one after another, on a shared machine
SMALL = 3000  # training images of a run that only has to finish: the queue, not the fit, is under test
expect.set_options(timeout=30_000)


def start_worker(home, url, log):
    env = {**os.environ, "DIGITLAB_HOME": str(home), "DIGITLAB_DATABASE_URL": url, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.Popen(
        [sys.executable, "-m", "training", "worker", "--workers", "1"],
        cwd=REPO,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, postgres):
    """PostgreSQL, a worker and two replicas, each with its own DIGITLAB_HOME."""
    url = postgres.new_database()
    homes = {name: tmp_path_factory.mktemp(f"replica-{name}") for name in ("worker", "a", "b")}
    settings = {"DIGITLAB_SHARED": "1", "DIGITLAB_DATABASE_URL": url, "DIGITLAB_WORKERS": "0"}
    a = start_server(homes["a"], homes["a"] / "streamlit.log", env=settings)
    b = start_server(homes["b"], homes["b"] / "streamlit.log", env=settings)
    worker = start_worker(homes["worker"], url, homes["worker"] / "worker.log")
    deployment = {"a": a, "b": b, "worker": worker, "url": url, "homes": homes}
    yield deployment
    deployment["worker"].kill()
    for server in (a, b):
        stop_server(server)


def lab_key(page) -> str:
    return parse_qs(urlparse(page.url).query)["key"][0]


def fill_run(page, server_url: str, name: str, epochs: int, images: int | None = None) -> None:
    """A new visitor's Train page, the form filled (tests/e2e/browser.py fill_train_form), Train not pressed yet."""
    page.goto(f"{server_url}/Train")
    expect(page.get_by_role("button", name="Train", exact=True)).to_be_visible(timeout=60_000)
    fill_train_form(page, name, epochs, images)


@pytest.mark.e2e
def test_three_labs_press_train_at_once_and_each_model_is_seen_through_the_other_replica(deployment, person):
    a, b = deployment["a"], deployment["b"]
    pages = [person() for _ in range(3)]
    names = [f"lab-{i}-model" for i in range(3)]
    for page, name in zip(pages, names, strict=True):
        fill_run(page, a.url, name, epochs=1, images=SMALL)
    for page in pages:  # three presses within a second
        page.get_by_role("button", name="Train", exact=True).click()
    for page, name in zip(pages, names, strict=True):  # each queued or already training, never refused
        expect(
            page.get_by_role("heading", name=f"{name} is in the queue").or_(
                page.get_by_role("heading", name=f"Training {name}")
            )
        ).to_be_visible()
    waiting = pages[2].get_by_text("ahead of yours").or_(pages[2].get_by_role("heading", name=f"Training {names[2]}"))
    expect(waiting).to_be_visible()

    for page, name in zip(pages, names, strict=True):  # the same lab through replica B, which trains nothing
        page.goto(f"{b.url}/Train?key={lab_key(page)}")
        expect(page.get_by_role("heading", name=f"{name} is trained")).to_be_visible(timeout=RUN_MS)
        others = [n for n in names if n != name]
        for other in others:
            expect(page.get_by_text(other)).to_have_count(0)  # another lab's model is never named here
        page.get_by_role("button", name=f"Make {name} the active model").click()  # B reads the file from the store
        expect(page.get_by_text(f"{name} is the active model")).to_be_visible()
    for server in (a, b):
        assert "Traceback" not in server.log_text()


@pytest.mark.e2e
def test_a_worker_killed_mid_run_fails_the_run_in_one_sentence_and_a_new_worker_takes_the_next(deployment, person):
    b = deployment["b"]
    page = person()
    fill_run(page, b.url, "long-run", epochs=100)
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.get_by_text("Epoch 1 of 100")).to_be_visible(timeout=RUN_MS)  # the worker has it
    deployment["worker"].send_signal(signal.SIGKILL)
    deployment["worker"].wait(10)
    expect(page.get_by_text(LOST)).to_be_visible(timeout=60_000)  # within a minute of the kill

    other = person()
    fill_run(other, deployment["a"].url, "after-the-kill", epochs=1, images=SMALL)
    other.get_by_role("button", name="Train", exact=True).click()
    expect(other.get_by_role("heading", name="after-the-kill is in the queue")).to_be_visible()  # no worker now
    homes = deployment["homes"]
    deployment["worker"] = start_worker(homes["worker"], deployment["url"], homes["worker"] / "worker.log")
    expect(other.get_by_role("heading", name="after-the-kill is trained")).to_be_visible(timeout=RUN_MS)
