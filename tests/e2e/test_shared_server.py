"""Browser tests of a shared server (DIGITLAB_SHARED=1), several people at once, each in a browser context of
their own: every person gets a lab, what one saves another never sees, and the same link opens the same lab.

.venv/bin/python -m pytest tests/e2e/test_shared_server.py -q
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import fill_train_form, pick_preset, shoot
from tests.e2e.test_draw import SEVEN, draw, open_draw_page, prediction
from ui.workspace import NO_LAB

RUN_MS = 240_000  # a run stopped, then another of one small epoch, on a shared machine
expect.set_options(timeout=30_000)


def lab_key(page) -> str:
    return parse_qs(urlparse(page.url).query)["key"][0]


@pytest.mark.e2e
def test_what_one_visitor_saves_another_never_sees_and_the_same_link_opens_it_anywhere(shared_server, person):
    anna = person()
    open_draw_page(anna, shared_server.url)
    expect(anna.get_by_text("This lab is yours")).to_be_visible()
    key = lab_key(anna)
    draw(anna, SEVEN)
    expect(prediction(anna)).to_have_text("7")
    anna.get_by_role("button", name="Save as 7").click()
    expect(anna.get_by_role("heading", name="My drawings (1)")).to_be_visible()
    shoot(anna, "shared-lab")

    ben = person()
    open_draw_page(ben, shared_server.url)
    assert lab_key(ben) != key
    expect(ben.get_by_role("heading", name="My drawings (0)")).to_be_visible()
    ben.get_by_role("link", name="Train").click()
    expect(ben.get_by_text("Include my labelled drawings (0 saved)")).to_be_visible()
    assert lab_key(ben) != key

    anna_on_her_phone = person()
    open_draw_page(anna_on_her_phone, f"{shared_server.url}/?key={key}")
    expect(anna_on_her_phone.get_by_role("heading", name="My drawings (1)")).to_be_visible()
    anna_on_her_phone.get_by_role("link", name="Train").click()  # Streamlit's navigation drops the query string
    expect(anna_on_her_phone.get_by_text("Include my labelled drawings (1 saved)")).to_be_visible()
    assert lab_key(anna_on_her_phone) == key  # the page put the key back
    assert "Traceback" not in shared_server.log_text()


@pytest.mark.e2e
def test_a_tampered_link_gets_one_sentence_and_no_lab(shared_server, person):
    anna = person()
    open_draw_page(anna, shared_server.url)
    key = lab_key(anna)
    eve = person()
    eve.goto(f"{shared_server.url}/?key={key[:-2]}xy")
    expect(eve.get_by_text(NO_LAB)).to_be_visible()
    expect(eve.get_by_text("Draw a digit from 0 to 9")).to_have_count(0)
    assert "key=" in eve.url and lab_key(eve) == f"{key[:-2]}xy"  # no new lab was put in its place


def start_training(page, name: str, epochs: int) -> None:
    """Fill the Train form from the first notebook's network, on the first 3,000 images, and press Train."""
    pick_preset(page, "784-128-64-10 ReLU, Adam", "The first notebook's network")
    fill_train_form(page, name, epochs, images=3000)
    page.get_by_role("button", name="Train", exact=True).click()


@pytest.mark.e2e
def test_what_one_visitor_trains_another_sees_only_as_a_count_and_queues_behind(shared_server, person):
    """Anna's run is a count on Ben's page, never its name or its Stop; Ben's Train press is not refused but
    waits its turn (this server trains one run at a time), and each run ends in its own lab."""
    anna = person()
    anna.goto(f"{shared_server.url}/Train")
    expect(anna.get_by_role("button", name="Train", exact=True)).to_be_visible(timeout=60_000)
    key = lab_key(anna)
    start_training(anna, "annas-model", 1000)  # far more epochs than she lets it run: she stops it once Ben waits
    expect(anna.get_by_role("heading", name="Training annas-model")).to_be_visible(timeout=60_000)

    ben = person()
    ben.goto(f"{shared_server.url}/Train")
    expect(ben.get_by_text("On this server for other labs: 1 run training.")).to_be_visible(timeout=60_000)
    expect(ben.get_by_text("annas-model")).to_have_count(0)
    expect(ben.get_by_role("button", name="Stop")).to_have_count(0)
    shoot(ben, "shared-someone-training")
    start_training(ben, "bens-model", 1)
    expect(ben.get_by_role("heading", name="bens-model is in the queue")).to_be_visible()
    expect(ben.get_by_text("Yours is next")).to_be_visible()  # Anna's is training, not waiting: none ahead
    expect(ben.get_by_text("annas-model")).to_have_count(0)
    expect(ben.get_by_role("button", name="Stop")).to_have_count(0)

    anna.get_by_role("button", name="Stop").click()
    anna.get_by_role("button", name="Keep the best weights so far").click()
    expect(anna.get_by_role("heading", name="annas-model: stopped and kept")).to_be_visible(timeout=RUN_MS)
    expect(ben.get_by_role("heading", name="bens-model is trained")).to_be_visible(timeout=RUN_MS)
    expect(ben.get_by_text("annas-model")).to_have_count(0)
    expect(anna.get_by_text("bens-model")).to_have_count(0)
    ben.reload()
    expect(ben.get_by_role("heading", name="All models (2)")).to_be_visible(timeout=60_000)  # the bundled one, his
    expect(ben.get_by_text("annas-model")).to_have_count(0)
    ben.goto(f"{shared_server.url}/Inside?model=annas-model&key={lab_key(ben)}")  # her model's name in a deep link
    expect(ben.get_by_text("There is no model named 'annas-model'")).to_be_visible(timeout=60_000)
    expect(ben.get_by_role("combobox", name="Model")).to_have_value(re.compile("^default"))

    annas_phone = person()
    annas_phone.goto(f"{shared_server.url}/Train?key={key}")
    expect(annas_phone.get_by_role("heading", name="All models (2)")).to_be_visible(timeout=60_000)
    expect(annas_phone.get_by_text("bens-model")).to_have_count(0)
    assert "Traceback" not in shared_server.log_text()
