"""The Inside page in a real browser: click a tile of the layer overview, open a deep link, and go from the
Draw page's "pushed hardest" neurons to the inspector.

    .venv/bin/python -m pytest tests/e2e/test_inside.py -q
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from model import Classifier, neurons
from tests.e2e.browser import shoot
from tests.e2e.test_draw import SEVEN, draw, open_draw_page, prediction
from training.data import load_mnist

pytestmark = pytest.mark.e2e

FIRST_LOAD_MS = 120_000  # the first visit loads the model and runs the 10,000 test digits through it
STEP_MS = 30_000  # a rerun after a click, on a machine shared with other work
TILES = ".st-key-inside_overview .js-plotly-plot .scatterlayer .point"


@pytest.fixture(scope="module")
def bundled():
    classifier = Classifier.load("default")
    _, (x_test, _) = load_mnist()
    return classifier, neurons.record(classifier, x_test)


def heading(page: Page, text: str):
    return page.get_by_role("heading", name=text)


def idle(page: Page) -> None:
    page.wait_for_selector("[data-test-script-state='notRunning']")


def test_clicking_a_tile_of_the_overview_opens_its_inspector(server, page, bundled):
    classifier, rec = bundled
    unit = 517
    view = neurons.neuron(classifier, rec, 1, unit)
    page.goto(f"{server.url}/Inside")
    expect(heading(page, "Layer 1 · unit 0")).to_be_visible(timeout=FIRST_LOAD_MS)
    page.get_by_role("tab", name="Layer overview").click()
    expect(page.locator(TILES)).to_have_count(1024, timeout=STEP_MS)
    idle(page)
    shoot(page, "inside-overview")
    box = page.locator(TILES).nth(unit).bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(heading(page, f"Layer 1 · unit {unit}")).to_be_visible(timeout=STEP_MS)
    expect(page.get_by_role("tab", name="Neuron", selected=True)).to_be_visible()
    expect(page.get_by_role("button", name=f"#{view.top[0]}", exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(rf"layer=1&unit={unit}"))
    assert "Traceback" not in server.log_text()


def test_a_deep_link_opens_its_neuron_and_a_bad_one_says_why(server, page, bundled):
    classifier, rec = bundled
    view = neurons.neuron(classifier, rec, 2, 5)
    page.goto(f"{server.url}/Inside?model=default&layer=2&unit=5")
    expect(heading(page, "Layer 2 · unit 5")).to_be_visible(timeout=FIRST_LOAD_MS)
    row = page.locator(".st-key-inside_top")
    expect(row.get_by_role("button").filter(has_text=re.compile(r"^#\d+$"))).to_have_text(
        [f"#{i}" for i in view.top], timeout=STEP_MS
    )
    expect(page.get_by_test_id("stMetric").filter(has_text="Fires on")).to_contain_text(f"{view.active_share:.1%}")
    idle(page)
    shoot(page, "inside")

    row.get_by_role("button", name=f"#{view.top[0]}", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text(f"MNIST test image #{view.top[0]}")).to_be_visible(timeout=STEP_MS)
    page.keyboard.press("Escape")

    page.goto(f"{server.url}/Inside?model=nope&layer=two&unit=5000")
    expect(page.get_by_text("There is no model named 'nope'")).to_be_visible(timeout=STEP_MS)
    expect(page.get_by_text("The link's layer 'two' is not a whole number")).to_be_visible()
    expect(page.get_by_text("there is no unit 5000, so this shows unit 0")).to_be_visible()
    expect(heading(page, "Layer 1 · unit 0")).to_be_visible()
    expect(page).to_have_url(re.compile(r"model=default&layer=1&unit=0"))


def test_the_draw_pages_strongest_neurons_open_in_the_inspector(server, page, bundled):
    classifier, _ = bundled
    open_draw_page(page, server.url)
    draw(page, SEVEN)
    expect(prediction(page)).to_have_text("7", timeout=STEP_MS)
    links = page.get_by_role("link", name=re.compile(r"^#\d+$"))
    expect(links.first).to_be_visible(timeout=STEP_MS)
    expect(page.get_by_text("adds up")).to_be_visible()
    idle(page)
    shoot(page, "draw-why-not", top=page.get_by_role("heading", name="Why it decided"))
    unit = int(links.first.inner_text().strip("#"))
    links.first.click()
    expect(heading(page, f"Layer 2 · unit {unit}")).to_be_visible(timeout=FIRST_LOAD_MS)
    expect(page).to_have_url(re.compile(rf"/Inside\?model=default&layer=2&unit={unit}"))
    yours = page.get_by_test_id("stMetric").filter(has_text="On your drawing").get_by_test_id("stMetricValue")
    expect(yours).not_to_have_text("—")  # the session's drawing came along
    assert float(yours.inner_text()) > 0  # it pushed hardest, so it fires on this drawing
