"""Every page a student uses, on a phone (390x844, touch), in a class on a shared server: nothing wider than
the screen, the page's title and its main control in view of a thumb (issue #27). The join form itself is
in tests/e2e/test_classroom.py.

    .venv/bin/python -m pytest tests/e2e/test_student_phone.py -q
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from model import classes, db
from model.workspace import key_hash, new_key
from tests.e2e.browser import PHONE, shoot, start_server, stop_server

pytestmark = pytest.mark.e2e
expect.set_options(timeout=30_000)

# page path -> (its title, the control a student uses first there)
PAGES = {
    "/": ("Draw a digit", lambda page: page.locator(".st-key-draw_canvas canvas").last),
    "/Train": ("Train", lambda page: page.get_by_role("button", name="Train", exact=True)),
    "/Errors": ("Errors", lambda page: page.get_by_role("combobox", name="Model").first),
    "/Inside": ("Inside the network", lambda page: page.get_by_role("combobox", name="Model").first),
}
# the page's width as laid out, against the screen's: a wider page scrolls sideways, and a thumb loses its place
OVERFLOW = "() => document.scrollingElement.scrollWidth - window.innerWidth"


@pytest.fixture(scope="module")
def student_key(tmp_path_factory):
    home = tmp_path_factory.mktemp("e2e-student-phone-home")
    srv = start_server(home, home / "streamlit.log", env={"DIGITLAB_SHARED": "1"})
    teacher = db.create_workspace(home, key_hash(new_key()))
    room, _ = classes.create_class(home, "7B maths", teacher)
    _, key = classes.join(home, room, "Sam 🦊")
    yield srv, key
    stop_server(srv)


@pytest.mark.parametrize("path", list(PAGES))
def test_each_page_a_student_uses_fits_a_phone(student_key, browser, path):
    server, key = student_key
    title, first_control = PAGES[path]
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(f"{server.url}{path}?key={key}")
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible(timeout=90_000)
        page.wait_for_selector("[data-test-script-state='notRunning']", timeout=90_000)
        control = first_control(page)
        expect(control).to_be_visible(timeout=60_000)
        control.scroll_into_view_if_needed()
        box = control.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, f"{path}: control at {box}"
        assert page.evaluate(OVERFLOW) <= 1, f"{path} is wider than a 390 px phone"
        shoot(page, f"student-phone-{path.strip('/').lower() or 'draw'}")
        assert "Traceback" not in server.log_text()
    finally:
        context.close()
