"""The Draw page in a real browser: mouse and finger strokes on the real canvas, the reading, the toolbar,
Teach it, the phone layout, a model deleted in another tab.

    .venv/bin/python -m pytest tests/e2e/test_draw.py -q
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from model.drawings import DrawingStore
from tests.e2e.browser import free_port, shoot, start_server, stop_server

pytestmark = pytest.mark.e2e

ONE = [[(140, 45), (141, 140), (142, 240)]]  # one upright stroke, in canvas pixels
SEVEN = [[(80, 60), (200, 60), (125, 240)]]
GRAPH = ".st-key-draw_probs_chart .js-plotly-plot"  # the probability bars' plotly graph (ui/live_chart.py)
WINNER, OTHER = "rgb(79, 70, 229)", "rgb(199, 204, 214)"  # ui/charts.py's ACCENT and MUTED
SIDE, INSET = 280, 12  # the canvas' side (ui/draw/input.py) and how far inside an edge a stroke starts
EDGE_STROKES = {  # a stroke starting INSET px inside an edge and running into the canvas
    "top, left": [[(INSET + 20, INSET), (INSET + 20, 200)]],
    "top, centre": [[(SIDE // 2, INSET), (SIDE // 2, 200)]],
    "top, right": [[(SIDE - INSET - 20, INSET), (SIDE - INSET - 20, 200)]],
    "bottom": [[(SIDE // 2, SIDE - INSET), (SIDE // 2, 80)]],
    "left": [[(INSET, SIDE // 2), (200, SIDE // 2)]],
    "right": [[(SIDE - INSET, SIDE // 2), (80, SIDE // 2)]],
}
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}


def open_draw_page(page: Page, url: str) -> None:
    page.goto(url)
    expect(prediction(page)).to_have_text("—", timeout=90_000)  # the first run loads the model
    expect(page.get_by_text("Draw a digit from 0 to 9")).to_be_visible()
    expect(canvas(page)).to_be_visible()


def canvas(page: Page):
    return page.locator(".st-key-draw_canvas canvas").last  # fabric.js stacks two canvases; the top one takes the mouse


def prediction(page: Page):
    return page.get_by_test_id("stMetric").filter(has_text="Prediction").get_by_test_id("stMetricValue")


def bar(page: Page, digit: int):
    """The bar of `digit` in the probability bars, with the value printed above it."""
    return page.locator(f"{GRAPH} .barlayer .point").nth(digit)


def page_errors(page: Page, url: str) -> list[str]:
    """Collects uncaught exceptions and console errors from now on, except a failed fetch from elsewhere than
    the app (the favicon's material icon comes from fonts.gstatic.com, which this offline VM cannot reach)."""
    errors = []
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    page.on(
        "console",
        lambda msg: (
            msg.type == "error"
            and not (msg.text.startswith("Failed to load resource") and not msg.location.get("url", "").startswith(url))
            and errors.append(f"{msg.text} ({msg.location.get('url')})")
        ),
    )
    return errors


def draw(page: Page, strokes: list[list[tuple[int, int]]]) -> None:
    """Press, move and release the mouse over the canvas for each stroke."""
    box = canvas(page).bounding_box()
    for stroke in strokes:
        (x, y), *rest = stroke
        page.mouse.move(box["x"] + x, box["y"] + y)
        page.mouse.down()
        for x, y in rest:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=12)
        page.mouse.up()


def touch_draw(page: Page, strokes: list[list[tuple[int, int]]]) -> None:
    """Put a finger down, move it and lift it over the canvas for each stroke (CDP touch events, 12 per segment)."""
    box = canvas(page).bounding_box()
    cdp = page.context.new_cdp_session(page)

    def touch(kind: str, x: float, y: float) -> None:
        points = [] if kind == "touchEnd" else [{"x": box["x"] + x, "y": box["y"] + y}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    for stroke in strokes:
        (x, y), *rest = stroke
        touch("touchStart", x, y)
        for x1, y1 in rest:
            for i in range(1, 13):
                touch("touchMove", x + (x1 - x) * i / 12, y + (y1 - y) * i / 12)
            x, y = x1, y1
        touch("touchEnd", x, y)


def toolbar_button(page: Page, name: str):
    """A button of the canvas' toolbar, after pointing at the canvas as a person does (it shows on hover)."""
    canvas(page).hover()
    return page.locator(".st-key-draw_canvas").get_by_role("button", name=name, exact=True)


def test_a_stroke_is_read_without_pressing_anything(server, page):
    open_draw_page(page, server.url)
    draw(page, ONE)
    expect(prediction(page)).to_have_text("1", timeout=30_000)
    expect(page.get_by_text("What did you draw?")).to_be_visible()
    expect(page.get_by_text("3 · Centre")).to_be_visible()
    shoot(page, "draw")


def test_the_bars_are_redrawn_in_place_digit_after_digit(server, page):
    """One plotly graph follows every reading (Plotly.react), where st.plotly_chart built a new one per stroke."""
    errors = page_errors(page, server.url)
    open_draw_page(page, server.url)
    draw(page, ONE)
    expect(prediction(page)).to_have_text("1", timeout=30_000)
    expect(bar(page, 1).locator("path")).to_have_css("fill", WINNER)
    expect(bar(page, 1)).to_contain_text("%")  # its value, printed above it
    graph = page.locator(GRAPH).element_handle()

    page.get_by_role("button", name="Reset canvas & history").click()
    expect(prediction(page)).to_have_text("—", timeout=30_000)
    expect(bar(page, 1).locator("path")).to_have_css("fill", OTHER)
    draw(page, SEVEN)
    expect(prediction(page)).to_have_text("7", timeout=30_000)
    expect(bar(page, 7).locator("path")).to_have_css("fill", WINNER)
    expect(bar(page, 7)).to_contain_text("%")
    expect(bar(page, 1)).not_to_contain_text("%")
    assert page.evaluate(
        "([graph, selector]) => graph.isConnected && graph === document.querySelector(selector)", [graph, GRAPH]
    ), "the bars' graph was replaced, not redrawn"
    assert int(page.locator(GRAPH).get_attribute("data-revision")) >= 3  # the 1, the reset, the 7
    page.wait_for_selector("[data-test-script-state='notRunning']")
    assert errors == []


def test_the_toolbar_reset_brings_back_the_dash(server, page):
    open_draw_page(page, server.url)
    draw(page, SEVEN)
    expect(prediction(page)).not_to_have_text("—", timeout=30_000)
    page.get_by_role("button", name="Reset canvas & history").click()
    expect(prediction(page)).to_have_text("—", timeout=30_000)
    expect(page.get_by_text("Draw a digit from 0 to 9")).to_be_visible()


def test_a_bad_upload_gets_one_sentence(server, page):
    open_draw_page(page, server.url)
    page.locator(".st-key-draw_source").get_by_text("Upload").click()
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "notes.png", "mimeType": "image/png", "buffer": b"not an image at all"}]
    )
    expect(page.get_by_text("notes.png: not an image file Pillow can read")).to_be_visible(timeout=30_000)
    expect(prediction(page)).to_have_text("—")


def test_teach_it_saves_a_drawing_that_survives_a_restart(tmp_path, browser):
    server = start_server(tmp_path, tmp_path / "streamlit.log")
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        open_draw_page(page, server.url)
        draw(page, ONE)
        expect(prediction(page)).to_have_text("1", timeout=30_000)
        page.get_by_role("button", name="Save as 1").click()
        expect(page.get_by_text("Saved as 1")).to_be_visible(timeout=30_000)
        expect(page.get_by_role("heading", name="My drawings (1)")).to_be_visible()
        page.close()
    finally:
        stop_server(server)

    server = start_server(tmp_path, tmp_path / "streamlit.log")
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        open_draw_page(page, server.url)
        expect(page.get_by_role("heading", name="My drawings (1)")).to_be_visible()
        card = page.locator("[class*='st-key-draw_card_']")
        expect(card).to_have_count(1)
        expect(card).to_contain_text("read 1 ✓")
        card.get_by_role("button", name="Delete").click()
        expect(page.get_by_role("heading", name="My drawings (0)")).to_be_visible(timeout=30_000)
        page.close()
    finally:
        stop_server(server)


@pytest.mark.parametrize("edge", EDGE_STROKES)
def test_a_stroke_starting_near_any_edge_is_drawn_and_read(server, page, edge):
    """A 7's bar or a 5's flag may start right at the top. The mouse goes straight to the start and presses, as
    a quick hand does (and a finger: it never hovers), before the toolbar could slide away on hover."""
    open_draw_page(page, server.url)
    draw(page, EDGE_STROKES[edge])
    expect(prediction(page)).not_to_have_text("—", timeout=30_000)
    expect(page.get_by_text("What did you draw?")).to_be_visible()


def test_undo_redo_and_reset_work_from_the_toolbar(server, page):
    open_draw_page(page, server.url)
    draw(page, ONE)
    expect(prediction(page)).to_have_text("1", timeout=30_000)
    toolbar_button(page, "Undo").click()
    expect(prediction(page)).to_have_text("—", timeout=30_000)
    toolbar_button(page, "Redo").click()
    expect(prediction(page)).to_have_text("1", timeout=30_000)
    toolbar_button(page, "Reset canvas & history").click()
    expect(prediction(page)).to_have_text("—", timeout=30_000)


@pytest.fixture
def phone(server, browser):
    """The Draw page at 390x844 with touch, the canvas scrolled into view."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(30_000)
    open_draw_page(page, server.url)
    canvas(page).scroll_into_view_if_needed()
    yield page
    context.close()


def test_on_a_phone_the_reading_comes_right_after_the_canvas(phone):
    """390x844 with touch: columns stack, and the reading must not fall below Teach it, out of sight."""
    touch_draw(phone, EDGE_STROKES["top, right"])  # from the top band: the toolbar sits above the canvas, not on it
    expect(prediction(phone)).not_to_have_text("—", timeout=30_000)
    canvas_box = canvas(phone).bounding_box()
    teach_top = phone.get_by_text("Teach it", exact=True).bounding_box()["y"]
    confidence = phone.get_by_test_id("stMetric").filter(has_text="Confidence")
    for part in (prediction(phone), confidence, phone.locator(GRAPH)):  # the reading: metrics and bars
        box = part.bounding_box()
        assert canvas_box["y"] + canvas_box["height"] <= box["y"] and box["y"] + box["height"] <= teach_top, (
            f"{part} at {box}, not between the canvas ({canvas_box}) and Teach it (y={teach_top})"
        )
    canvas(phone).scroll_into_view_if_needed()
    expect(prediction(phone)).to_be_in_viewport()  # the digit read shows while the finger is on the canvas
    shoot(phone, "draw-phone")


def test_on_a_phone_the_toolbar_is_there_to_tap(phone):
    """A finger never hovers, so the toolbar that shows on hover must always show on a touch screen."""
    touch_draw(phone, ONE)
    expect(prediction(phone)).to_have_text("1", timeout=30_000)
    toolbar = phone.locator(".st-key-draw_canvas")
    undo = toolbar.get_by_role("button", name="Undo", exact=True)
    assert undo.evaluate("button => getComputedStyle(button.closest('.dc-toolbar')).opacity") == "1"
    undo.tap()
    expect(prediction(phone)).to_have_text("—", timeout=30_000)
    touch_draw(phone, ONE)
    expect(prediction(phone)).to_have_text("1", timeout=30_000)
    toolbar.get_by_role("button", name="Reset canvas & history", exact=True).tap()
    expect(prediction(phone)).to_have_text("—", timeout=30_000)


def test_on_a_desktop_the_reading_stays_beside_the_canvas(server, page):
    open_draw_page(page, server.url)
    drawn, read = canvas(page).bounding_box(), prediction(page).bounding_box()
    teach = page.get_by_text("Teach it", exact=True).bounding_box()
    assert read["x"] > drawn["x"] + drawn["width"] and read["y"] < drawn["y"] + drawn["height"]
    assert teach["x"] == pytest.approx(drawn["x"], abs=2) and teach["y"] > drawn["y"] + drawn["height"]


def test_a_model_deleted_in_another_tab_is_said_and_no_longer_reads(tmp_path, browser):
    """Tab B reads with 'tiny'; tab A deletes it on the Train page; B's next stroke says so and reads with
    the active model, and Save records that model."""
    from model.network import build_model
    from model.registry import Registry
    from model.spec import ArchSpec
    from model.store import ModelMeta

    arch = ArchSpec.simple([16])
    Registry(tmp_path).add(build_model(arch, seed=0), ModelMeta(name="tiny", arch=arch))
    # nothing trains here: no worker warming TensorFlow up while the Train page is open
    server = start_server(tmp_path, tmp_path / "streamlit.log", env={"DIGITLAB_WORKERS": "0"})
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        reader, deleter = context.new_page(), context.new_page()
        for tab in (reader, deleter):
            tab.set_default_timeout(30_000)
        open_draw_page(reader, server.url)
        reader.get_by_role("combobox", name="Reads your drawing").click()
        reader.get_by_role("option", name="tiny").click()
        expect(reader.get_by_text("784-16(relu)-10")).to_be_visible()
        draw(reader, ONE)
        expect(prediction(reader)).not_to_have_text("—", timeout=30_000)

        deleter.goto(f"{server.url}/Train")
        expect(deleter.get_by_role("combobox", name="Model", exact=True)).to_have_value("tiny")  # newest first
        deleter.wait_for_selector("[data-test-script-state='notRunning']")
        deleter.get_by_role("button", name="Delete").click()
        deleter.get_by_role("button", name="Delete tiny").click()
        expect(deleter.get_by_text("tiny was deleted.")).to_be_visible(timeout=30_000)

        reader.bring_to_front()
        draw(reader, SEVEN)
        expect(reader.get_by_text("The model 'tiny' no longer exists (deleted in another tab?)")).to_be_visible(
            timeout=30_000
        )
        expect(reader.get_by_role("combobox", name="Reads your drawing")).to_have_value(re.compile("^default"))
        expect(prediction(reader)).to_have_text("7", timeout=30_000)  # read by the active model, which Teach it picks
        reader.get_by_role("button", name="Save as 7").click()
        expect(reader.get_by_text("Saved as 7")).to_be_visible(timeout=30_000)
        (saved,) = DrawingStore(tmp_path).list()
        assert saved.model == "default"
        assert "Traceback" not in server.log_text()
    finally:
        context.close()
        stop_server(server)


def test_a_server_restarted_under_an_open_page_reads_the_next_stroke_with_no_error(tmp_path, page):
    """The page reconnects to the new server, which has a new session: its first run is a full one and knows the
    canvas only once it is drawn. It used to ask for a fragment-scoped rerun there, an error shown on the page."""
    port = free_port()
    server = start_server(tmp_path, tmp_path / "first.log", port=port)
    open_draw_page(page, server.url)
    draw(page, SEVEN)
    expect(prediction(page)).to_have_text("7")
    server.process.kill()
    server.process.wait()
    server = start_server(tmp_path, tmp_path / "second.log", port=port)
    try:
        page.wait_for_selector("[data-test-connection-state='CONNECTED']", timeout=60_000)
        page.get_by_role("button", name="Reset canvas & history").click()
        draw(page, ONE)
        expect(prediction(page)).to_have_text("1", timeout=60_000)  # the new server reads the page's strokes
        page.wait_for_selector("[data-test-script-state='notRunning']")
        expect(page.get_by_test_id("stException")).to_have_count(0)
        assert "Traceback" not in server.log_text()
    finally:
        stop_server(server)
