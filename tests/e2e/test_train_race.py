"""Browser tests of the Train form racing its own reruns: what a person types or presses while the page is still
drawing a preset never trains values they did not see (a server slowed on purpose, tests/e2e/slow_streamlit.py,
makes that race happen every time), and what they type right after a preset stands.

.venv/bin/python -m pytest tests/e2e/test_train_race.py -q
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from model.registry import Registry
from tests.e2e.browser import edit_landed, pick_preset, registry_rows, set_number, start_server, stop_server
from ui.train.form import STALE_PRESS

PRESET, PRESET_NOTE = "784-128-64-10 ReLU, Adam", "The first notebook's network"
RUN_MS = 240_000  # TensorFlow start-up plus one small epoch on a shared machine
expect.set_options(timeout=30_000)


@pytest.fixture(scope="module")
def slow_server(tmp_path_factory):
    home = tmp_path_factory.mktemp("e2e-slow-home")
    srv = start_server(home, home / "streamlit.log", launcher="tests.e2e.slow_streamlit")
    yield srv
    stop_server(srv)


def idle(page) -> None:
    page.wait_for_selector("[data-test-script-state='notRunning']")


@pytest.mark.e2e
def test_train_pressed_on_the_form_a_preset_is_replacing_starts_nothing_and_keeps_the_name(slow_server, page):
    """Issue #25, item 2, in its order: type 1 epoch, pick another preset, type 1 epoch and a name at once,
    press Train. The browser still shows the old form (its 1 epoch) while the server holds the preset's 10."""
    page.goto(f"{slow_server.url}/Train")
    expect(page.get_by_role("button", name="Train", exact=True)).to_be_visible(timeout=60_000)
    idle(page)
    set_number(page, "Epochs", 1)
    edit_landed(page)

    page.get_by_role("combobox", name="Start from").click()
    page.get_by_role("option", name=PRESET).click()
    epochs = page.get_by_role("spinbutton", name="Epochs", exact=True)
    epochs.fill("1")
    epochs.press("Enter")
    page.get_by_role("textbox", name="Model name").fill("typed-in-the-race")
    page.get_by_role("button", name="Train", exact=True).click()

    expect(page.get_by_text(STALE_PRESS)).to_be_visible()
    idle(page)
    expect(page.get_by_text(PRESET_NOTE)).to_be_visible()
    expect(epochs).to_have_value("10")  # the form the server holds, now shown: the preset's epochs
    expect(page.get_by_role("textbox", name="Model name")).to_have_value("typed-in-the-race")  # the name typed
    assert not page.get_by_role("heading", name=re.compile("^Training")).count()
    assert "typed-in-the-race" not in registry_rows(slow_server.home)

    set_number(page, "Epochs", 1)  # what the person meant, on the form they now see
    page.get_by_role("button", name="Train", exact=True).click()
    # one small epoch from a warm worker can end before this slowed server draws it training: the end is what counts
    expect(page.get_by_role("heading", name="typed-in-the-race is trained")).to_be_visible(timeout=RUN_MS)
    assert len(Registry(slow_server.home).get("typed-in-the-race").history) == 1
    page.get_by_role("button", name="Close", exact=True).click()
    assert "Traceback" not in slow_server.log_text()


@pytest.mark.e2e
def test_the_epochs_had_before_a_preset_typed_right_after_it_stand(server, page):
    """Issue #25, item 2: a person who picks a preset and at once types the epochs they had before keeps them
    (a 2-second rule used to take that for the browser's stale copy and put the preset's value back). On a
    server at its own speed: the edit has to come within those 2 seconds."""
    page.goto(f"{server.url}/Train")
    expect(page.get_by_role("button", name="Train", exact=True)).to_be_visible(timeout=60_000)
    idle(page)
    set_number(page, "Epochs", 1)
    edit_landed(page)
    pick_preset(page, PRESET, PRESET_NOTE)
    set_number(page, "Epochs", 1)
    edit_landed(page)
    page.get_by_role("button", name="Add a layer").click()  # one more rerun, carrying every field the browser has
    expect(page.get_by_role("spinbutton", name="Units (layer 3)")).to_be_visible()
    idle(page)
    expect(page.get_by_role("spinbutton", name="Epochs", exact=True)).to_have_value("1")
    assert "Traceback" not in server.log_text()
