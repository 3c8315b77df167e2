"""Browser test of watching a network learn: train 2 epochs from the Train page, see the weight grid change
between epochs, replay the run there, then open its replay at epoch 1 by the Inside page's deep link.

    .venv/bin/python -m pytest tests/e2e/test_learning.py -q
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import pick_preset, set_number

RUN_MS = 240_000  # TensorFlow start-up plus two epochs on a shared machine
SHOTS = os.environ.get("DIGITLAB_SHOTS")  # a folder: keep desktop and phone screenshots there
expect.set_options(timeout=30_000)


def grid_src(page) -> str:
    """The weight grid's picture URL (the first image of the live look): a new URL is a new picture."""
    return page.locator(".st-key-train_learning img").first.get_attribute("src")


@pytest.mark.e2e
def test_watch_two_epochs_then_replay_epoch_1(server, page):
    page.goto(f"{server.url}/Train")
    expect(page.get_by_role("button", name="Train", exact=True)).to_be_visible(timeout=60_000)
    pick_preset(page, "784-128-64-10 ReLU, Adam", "The first notebook's network")
    set_number(page, "Epochs", 2)
    set_number(page, "Batch size", 16)  # all 60,000 images in small steps: each epoch lasts several seconds,
    # longer than the page's 2 s between looks, so epoch 1's picture is on screen for a while (at 32, an epoch took
    # 2-3 s on a fast machine, and the page sometimes missed it)
    name = page.get_by_role("textbox", name="Model name")
    name.fill("e2e-watched")
    name.press("Enter")
    expect(name).to_have_value("e2e-watched")
    page.get_by_role("button", name="Train", exact=True).click()

    live = page.locator(".st-key-train_learning")
    expect(live.get_by_text("Inside the network, after epoch 1 of 2")).to_be_visible(timeout=RUN_MS)
    after_1 = grid_src(page)
    if SHOTS:
        live.scroll_into_view_if_needed()
        page.screenshot(path=f"{SHOTS}/learning-live.png")
    expect(live.get_by_text("Inside the network, after epoch 2 of 2")).to_be_visible(timeout=RUN_MS)
    assert grid_src(page) != after_1  # the grid changed between the epochs
    expect(live.locator("img")).to_have_count(2)  # one picture for the grid, one for the panel

    expect(page.get_by_role("heading", name="e2e-watched is trained")).to_be_visible(timeout=RUN_MS)
    live.get_by_text("Replay how it learned").click()  # the finished run's replay, right on the Train page
    expect(live.get_by_role("heading", name="Epoch 2 of 2")).to_be_visible()
    at_2 = live.locator("img").nth(2).get_attribute("src")  # the replay's grid, after the live grid and panel
    live.get_by_role("slider").press("ArrowLeft")  # Epoch 2 -> Epoch 1
    expect(live.get_by_role("heading", name="Epoch 1 of 2")).to_be_visible()
    expect(live.locator("img").nth(2)).not_to_have_attribute("src", at_2)

    page.goto(f"{server.url}/Inside?model=e2e-watched&epoch=1")  # the deep link to the replay on the Inside page
    replay = page.get_by_role("tabpanel", name="Replay")
    expect(replay.get_by_role("heading", name="Epoch 1 of 2")).to_be_visible(timeout=60_000)
    expect(replay.get_by_text("Learned this epoch")).to_be_visible()
    expect(replay.get_by_role("slider")).to_be_visible()
    if SHOTS:
        for size, label in (((1400, 1000), "desktop"), ((390, 844), "phone")):
            page.set_viewport_size({"width": size[0], "height": size[1]})
            page.wait_for_timeout(1000)
            replay.get_by_role("heading", name="Epoch 1 of 2").scroll_into_view_if_needed()
            page.screenshot(path=f"{SHOTS}/replay-{label}.png")
            replay.get_by_text("Learned this epoch").scroll_into_view_if_needed()
            page.screenshot(path=f"{SHOTS}/replay-{label}-learned.png")
    assert "Traceback" not in server.log_text(), server.log_problems()
