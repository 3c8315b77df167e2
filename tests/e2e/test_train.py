"""Browser test of the Train page: train a small network from the UI, find it in `python -m model list --json`.

.venv/bin/python -m pytest tests/e2e/test_train.py -q
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from model.registry import Registry
from tests.e2e.browser import edit_landed, pick_preset, registry_rows, set_number, shoot

RUN_MS = 240_000  # TensorFlow start-up plus one small epoch on a shared machine
expect.set_options(timeout=30_000)  # a rerun can take seconds when the shared machine is busy


@pytest.mark.e2e
def test_a_form_filled_and_submitted_at_once_trains_the_epochs_typed(server, page):
    """Issue #16, item 2: the page's own form set-up must never overwrite what was typed, however fast."""
    page.goto(server.url)
    page.get_by_role("link", name="Train").click()
    name = page.get_by_role("textbox", name="Model name")
    name.fill("typed-at-once")  # no waiting for the page's first run to end
    epochs = page.get_by_role("spinbutton", name="Epochs", exact=True)
    epochs.fill("1")
    epochs.press("Enter")
    page.get_by_role("button", name="Train", exact=True).click()

    expect(page.get_by_role("heading", name="Training typed-at-once")).to_be_visible()
    progress = page.get_by_text(re.compile(r"^Epoch \d+ of \d+"))
    expect(progress).to_be_visible()
    if not re.match(r"Epoch \d+ of 1\b", progress.inner_text()):  # the typed 1 was lost: throw the run away
        page.get_by_role("button", name="Stop").click()
        page.get_by_role("button", name="Discard this run").click()
        pytest.fail(f"typed 1 epoch, the run trains: {progress.inner_text()}")
    expect(page.get_by_role("heading", name="typed-at-once is trained")).to_be_visible(timeout=RUN_MS)
    assert len(Registry(server.home).get("typed-at-once").history) == 1
    page.get_by_role("button", name="Close", exact=True).click()


@pytest.mark.e2e
def test_train_three_epochs_from_the_ui_and_activate_it(server, page):
    page.goto(f"{server.url}/Train")
    expect(page.get_by_role("button", name="Train", exact=True)).to_be_visible(timeout=60_000)

    pick_preset(page, "784-128-64-10 ReLU, Adam", "The first notebook's network")
    set_number(page, "Epochs", 3)  # a real run (all 60,000 images, ~3 s an epoch here): the README shows it
    edit_landed(page)
    name = page.get_by_role("textbox", name="Model name")
    name.fill("e2e-three-epochs")
    name.press("Enter")
    expect(name).to_have_value("e2e-three-epochs")
    expect(page.get_by_role("spinbutton", name="Epochs", exact=True)).to_have_value("3")  # no edit was undone

    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.get_by_role("heading", name="Training e2e-three-epochs")).to_be_visible()
    expect(page.get_by_role("heading", name="e2e-three-epochs is trained")).to_be_visible(timeout=RUN_MS)
    test_accuracy = page.get_by_test_id("stMetric").filter(has_text="Test accuracy")

    row = registry_rows(server.home)["e2e-three-epochs"]
    assert row["architecture"] == "784-128(relu)-64(relu)-10" and row["params"] == 109_386
    assert 0.9 < row["accuracy"] <= 1 and not row["active"]
    expect(test_accuracy).to_contain_text(f"{row['accuracy']:.2%}")  # the page shows the registry's figure
    shoot(page, "train", top=page.get_by_role("heading", name="Train", exact=True))

    page.get_by_role("button", name="Make e2e-three-epochs the active model").click()
    expect(page.get_by_text("e2e-three-epochs is the active model")).to_be_visible()
    assert registry_rows(server.home)["e2e-three-epochs"]["active"]
    assert "Traceback" not in server.log_text()
