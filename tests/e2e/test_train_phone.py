"""The Train page on a phone (390x844, touch): each hidden layer stays one line under its Units, Activation and
Dropout titles, and a finger can change it (issue #27).

    .venv/bin/python -m pytest tests/e2e/test_train_phone.py -q
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import PHONE, shoot

pytestmark = pytest.mark.e2e
expect.set_options(timeout=30_000)  # a rerun can take seconds when the shared machine is busy

TITLES = ("Units", "Activation", "Dropout")
SAME_LINE_PX = 4  # how far apart the vertical centres of one row's fields may be


@pytest.fixture
def phone(server, browser):
    """The Train page at 390x844 with touch, its first run over (the bundled default: two hidden layers)."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{server.url}/Train")
    expect(page.get_by_role("button", name="Train", exact=True)).to_be_visible(timeout=90_000)
    page.wait_for_selector("[data-test-script-state='notRunning']")
    yield page
    context.close()


def fields(page: Page, n: int):
    """Layer n's Units, Activation and Dropout fields, by the labels screen readers read."""
    return (
        page.get_by_role("spinbutton", name=f"Units (layer {n})", exact=True),
        page.get_by_role("combobox", name=f"Activation (layer {n})", exact=True),
        page.get_by_role("spinbutton", name=f"Dropout (layer {n})", exact=True),
    )


def remove_button(page: Page, n: int):
    """Layer n's remove button, keyed train_rm_<row id> (its help, "Remove layer n", shows on hover only)."""
    return page.locator("[class*='st-key-train_rm_'] button:visible").nth(n - 1)  # Streamlit adds a hidden copy


def centre_y(box: dict) -> float:
    return box["y"] + box["height"] / 2


def type_into(page: Page, field, text: str) -> None:
    """Tap a field, replace what it holds by `text` on the keyboard and commit it with Enter."""
    field.tap()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def test_on_a_phone_each_layer_is_one_line_under_its_titles(phone):
    """Stacked, the titles came first and then every field, and which field was which was lost."""
    width = PHONE["viewport"]["width"]
    titles = [phone.get_by_text(title, exact=True).bounding_box() for title in TITLES]
    for n in (1, 2):
        boxes = [field.bounding_box() for field in fields(phone, n)] + [remove_button(phone, n).bounding_box()]
        for name, box in zip((*TITLES, "Remove"), boxes):
            assert abs(centre_y(box) - centre_y(boxes[0])) <= SAME_LINE_PX, (
                f"layer {n}: {name} at {box}, Units at {boxes[0]}"
            )
            assert 0 <= box["x"] and box["x"] + box["width"] <= width, f"layer {n}: {name} at {box}, off the screen"
        for title, box, title_box in zip(TITLES, boxes, titles):
            assert title_box["y"] + title_box["height"] <= box["y"], f"{title} at {title_box}, not above {box}"
            overlap = min(title_box["x"] + title_box["width"], box["x"] + box["width"]) - max(title_box["x"], box["x"])
            assert overlap > 0, f"{title} at {title_box}, not over its field in layer {n} at {box}"


def test_on_a_phone_a_finger_changes_a_layer(phone):
    units, activation, dropout = fields(phone, 1)
    type_into(phone, units, "256")
    expect(units).to_have_value("256")
    expect(phone.get_by_text("784 → 256 → 1024 → 10 ·")).to_be_visible()  # the network's size follows
    activation.tap()
    phone.get_by_role("option", name="sigmoid", exact=True).tap()
    expect(activation).to_have_value("sigmoid")
    type_into(phone, dropout, "0.25")
    expect(dropout).to_have_value("0.25")
    remove_button(phone, 2).tap()
    expect(fields(phone, 2)[0]).to_have_count(0)
    expect(phone.get_by_text("784 → 256 → 10 · 203,530 parameters to learn")).to_be_visible()
    expect(phone.get_by_text("Your own mix, started from")).to_be_visible()
    for field, value in zip(fields(phone, 1), ("256", "sigmoid", "0.25")):  # no edit was undone by a later one
        expect(field).to_have_value(value)
    shoot(phone, "train-phone", top=phone.get_by_role("heading", name="Train", exact=True))
