"""Killing the server mid-training (`kill -9`) loses nothing saved: the run ends cleanly, the data survives a restart.

    .venv/bin/python -m pytest tests/e2e/test_crash.py -q

The run lives in a child process that the server's own queue worker started. When the server dies, the child
notices within one batch (it was re-parented), stops and saves nothing (`--orphan discard`: a half-done run
is not kept): no half-written file, no registry row without a file. My drawings live in the same SQLite
database. The restarted server finds the run's worker silent (model/runs.py: reap) and says so in one sentence.
"""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect

from model.drawings import DrawingStore
from model.registry import Registry
from model.runs import LOST
from tests.e2e.browser import edit_landed, pick_preset, registry_rows, set_number, start_server, stop_server

pytestmark = pytest.mark.e2e
NAME = "killed-mid-run"
SETTLE_SECONDS = 120  # the orphaned run: stop within a batch and exit, saving nothing
REAPED_MS = 120_000  # the restarted page: the run's heartbeat goes stale (30 s), then a look finds it (every 10 s)


def children(pid: int) -> list[int]:
    """The processes `pid` started and that still run (the server's: its run's `training` child), from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, parent = stat.read_text().rsplit(")", 1)[1].split()[:2]
        except (OSError, ValueError):
            continue  # it ended while we looked
        if int(parent) == pid and state != "Z":
            found.append(int(stat.parent.name))
    return found


def running(pid: int) -> bool:
    """Process `pid` has not ended (a zombie nobody reaped has ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def start_a_long_run(page, url: str) -> None:
    page.goto(f"{url}/Train")
    pick_preset(page, "784-128-64-10 ReLU, Adam", "The first notebook's network")
    set_number(page, "Epochs", 200)  # far more than it will get to run
    edit_landed(page)
    page.get_by_text("More settings").click()
    set_number(page, "Train on the first N images only (0 = all 60,000)", 2000)
    name = page.get_by_role("textbox", name="Model name")
    name.fill(NAME)
    name.press("Enter")
    expect(name).to_have_value(NAME)
    expect(page.get_by_role("spinbutton", name="Epochs", exact=True)).to_have_value("200")  # no edit was undone
    page.get_by_role("button", name="Train", exact=True).click()
    # learning, with a few epochs behind it (an epoch of 2,000 images can pass between two polls of the page)
    expect(page.get_by_text(re.compile(r"Epoch ([3-9]|\d\d+) of 200"))).to_be_visible(timeout=240_000)


def test_kill_9_mid_training_keeps_the_registry_and_my_drawings(tmp_path, browser):
    drawing = np.zeros((28, 28), np.float32)
    drawing[4:24, 13:15] = 1.0
    DrawingStore(tmp_path).add(drawing, label=1, predicted=1, model="default")

    server = start_server(tmp_path, tmp_path / "first.log")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        start_a_long_run(page, server.url)
        run = children(server.process.pid)
        assert run, "the server has no training child while its page shows the run learning"
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=30)
    finally:
        page.close()
        stop_server(server)

    deadline = time.monotonic() + SETTLE_SECONDS  # the orphan stops after its current batch, saving nothing
    while any(running(pid) for pid in run) and time.monotonic() < deadline:
        time.sleep(1)
    assert not any(running(pid) for pid in run), "the orphaned run did not stop"
    assert NAME not in registry_rows(tmp_path)  # a half-done run is not kept
    registry = Registry(tmp_path)
    for record in registry.records():
        registry.verify(record)  # every row has its file, with the checksum it was saved with
    leftovers = [p.name for p in (tmp_path / "models").iterdir() if p.name.startswith(".saving-")]
    assert leftovers == [], "a half-written model file was left behind"
    assert [d.label for d in DrawingStore(tmp_path).list()] == [1]

    server = start_server(tmp_path, tmp_path / "second.log")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(server.url)
        expect(page.get_by_role("heading", name="My drawings (1)")).to_be_visible(timeout=90_000)
        page.goto(f"{server.url}/Train")
        expect(page.get_by_role("heading", name="All models (1)")).to_be_visible(timeout=60_000)  # the bundled one
        expect(page.get_by_text(f"{NAME} did not finish: {LOST}")).to_be_visible(timeout=REAPED_MS)
        page.get_by_role("button", name="Close", exact=True).click()
        expect(page.get_by_role("heading", name="Watch it learn")).to_be_visible()  # no ghost of the killed run
        assert "Traceback" not in server.log_text()
    finally:
        page.close()
        stop_server(server)
