"""A class in real browsers on a shared server (DIGITLAB_SHARED=1): a teacher creates it on the Class page,
three students (one on a phone, with a finger) join by its link, each draws a digit and saves it; the teacher
sees them and their drawings, and a click on the confusion matrix opens a student's drawing. The same
device back on the join link gets its own lab again (a cookie).

    DIGITLAB_SCREENSHOTS=/tmp/shots .venv/bin/python -m pytest tests/e2e/test_classroom.py -q   # + screenshots
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from model import classes, db
from model.workspace import key_hash, new_key
from tests.e2e.browser import SCREENSHOTS
from tests.e2e.test_draw import ONE, SEVEN, canvas, draw, prediction, touch_draw
from tests.e2e.test_errors import click_cell

pytestmark = pytest.mark.e2e
expect.set_options(timeout=30_000)
FIRST_LOAD_MS = 90_000  # a first page loads the model
STUDENTS = [  # nickname, strokes, digit, on a phone
    ("Sam", SEVEN, 7, False),
    ("Ana 🦊", ONE, 1, False),
    ("**Zoë** <b>b</b>", SEVEN, 7, True),  # markup in a nickname: shown as text
]


def shot(page, name: str, full: bool = False) -> None:
    """What the test sees, kept when $DIGITLAB_SCREENSHOTS names a folder (tests/e2e/browser.py shoot)."""
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.wait_for_selector("[data-test-script-state='notRunning']")
        page.screenshot(path=Path(SCREENSHOTS) / f"class-{name}.png", full_page=full)


def key_of(page) -> str:
    return parse_qs(urlparse(page.url).query)["key"][0]


def create_class(teacher, url: str) -> str:
    """The teacher opens /Class (a new lab), creates a class with the form; returns the join link shown."""
    teacher.goto(f"{url}/Class")
    expect(teacher.get_by_text("Create a class")).to_be_visible(timeout=FIRST_LOAD_MS)
    name = teacher.get_by_role("textbox", name="Class name")
    name.fill("7B maths")
    name.press("Enter")  # submits the form
    expect(teacher.get_by_text("Students join by scanning this")).to_be_visible()
    return teacher.locator("[data-testid='stCode'] code").filter(has_text="?join=").inner_text().strip()


def join(student, link: str, nickname: str) -> None:
    student.goto(link)
    expect(student.get_by_role("textbox", name="Your nickname")).to_be_visible(timeout=FIRST_LOAD_MS)
    expect(student.get_by_text("no email, no real name")).to_be_visible()
    student.get_by_role("textbox", name="Your nickname").fill(nickname)
    student.get_by_role("button", name="Join the class").click()
    expect(prediction(student)).to_have_text("—", timeout=FIRST_LOAD_MS)  # the Draw page, in the student's lab


def save(student, strokes, digit: int, finger: bool) -> None:
    canvas(student).scroll_into_view_if_needed()
    (touch_draw if finger else draw)(student, strokes)
    expect(prediction(student)).to_have_text(str(digit), timeout=30_000)
    student.get_by_role("button", name=f"Save as {digit}").click()
    expect(student.get_by_text(f"Saved as {digit}")).to_be_visible()


def test_a_teacher_and_three_students_and_the_way_back_on_the_same_phone(shared_server, person):
    home = shared_server.home
    teacher = person()
    link = create_class(teacher, shared_server.url)
    (room,) = classes.classes_taught(home, db.workspace_for_key(home, key_hash(key_of(teacher))))
    shot(teacher, "teacher-empty", full=True)

    phone = None
    for nickname, strokes, digit, on_phone in STUDENTS:
        student = person(phone=on_phone)
        if on_phone:
            student.goto(link)
            expect(student.get_by_role("textbox", name="Your nickname")).to_be_visible(timeout=FIRST_LOAD_MS)
            shot(student, "phone-join")
        join(student, link, nickname)
        if on_phone:
            shot(student, "phone-draw-top")  # what a student sees first
        cookie = {c["name"]: c for c in student.context.cookies()}.get(f"digitlab_class_{room.id}")
        assert cookie is not None and cookie["value"] == key_of(student), "the join set no cookie"
        assert cookie["path"] == "/" and cookie["sameSite"] == "Lax" and cookie["expires"] > 0
        save(student, strokes, digit, finger=on_phone)
        if on_phone:
            phone = student
            shot(student, "phone-draw")
    members = {m.nickname: m for m in classes.members(home, room)}
    assert set(members) == {s[0] for s in STUDENTS} and all(m.drawings == 1 for m in members.values())

    teacher.reload()
    expect(teacher.get_by_role("heading", name="Students (3 of at most 40)")).to_be_visible(timeout=FIRST_LOAD_MS)
    expect(teacher.get_by_role("heading", name="The class's drawings (3)")).to_be_visible()
    roster = teacher.locator("table").filter(has_text="Last seen")  # the dataframe's accessible copy, as text
    for nickname, *_ in STUDENTS:
        expect(roster.get_by_text(nickname, exact=True)).to_have_count(1)
    teacher.get_by_role("radio", name="7 · 2").click()  # the digit picker: the two 7s
    for nickname in ("Sam", "**Zoë** <b>b</b>"):
        expect(teacher.locator(f"[class*='st-key-class_tile_'] [title='{nickname}']")).to_have_text(nickname)
    expect(teacher.locator(".js-plotly-plot .scatterlayer .point")).to_have_count(100, timeout=FIRST_LOAD_MS)
    shot(teacher, "teacher", full=True)

    teacher.locator(".js-plotly-plot").scroll_into_view_if_needed()  # click_cell clicks where the cell shows
    click_cell(teacher, 1, 1)  # Ana's 1, read as a 1
    expect(teacher.get_by_text("1 read as 1 (right): 1 drawing,")).to_be_visible()
    tile = teacher.locator("[class*='st-key-class_cell_inspect_']")
    expect(tile).to_have_count(1)
    expect(teacher.locator("span", has_text="Ana 🦊")).to_be_visible()  # who drew it, on its tile
    shot(teacher, "teacher-cell")
    teacher.get_by_role("button", name="Inspect").click()
    expect(teacher.get_by_role("dialog").get_by_text("a 1, the model said 1")).to_be_visible()

    key = key_of(phone)  # the phone comes back to the join link: its own lab, not a new one
    phone.goto(link)
    expect(phone.get_by_text("Welcome back, **Zoë** <b>b</b>!")).to_be_visible(timeout=FIRST_LOAD_MS)
    shot(phone, "phone-welcome-back")
    phone.get_by_role("button", name="Continue into my lab").click()
    expect(prediction(phone)).to_have_text("—", timeout=FIRST_LOAD_MS)
    assert key_of(phone) == key and len(classes.members(home, room)) == 3
    expect(phone.get_by_role("heading", name="My drawings (1)")).to_be_visible()
    assert "Traceback" not in shared_server.log_text()


def n_labs(home) -> int:
    with db.engine(home).connect() as conn:
        return conn.execute(select(func.count()).select_from(db.workspaces)).scalar_one()


def test_a_students_link_a_closed_join_link_and_a_tampered_one_against_the_real_server(shared_server, person):
    """Three people at once: a student on the Class page, a newcomer at a closed class, one with a cut link."""
    from ui.classroom.join import NO_CLASS
    from ui.classroom.rooms import FOR_STUDENTS

    home = shared_server.home
    teacher = db.create_workspace(home, key_hash(new_key()))
    room, join_key = classes.create_class(home, "8C", teacher)
    _, student_key = classes.join(home, room, "Kim")
    classes.set_joining(home, room, False)
    before = n_labs(home)
    student, late, cut = person(), person(phone=True), person()
    student.goto(f"{shared_server.url}/Class?key={student_key}")
    late.goto(f"{shared_server.url}/Class?join={join_key}")
    cut.goto(f"{shared_server.url}/Class?join={join_key[:-3]}")
    expect(student.get_by_text(FOR_STUDENTS)).to_be_visible(timeout=FIRST_LOAD_MS)
    expect(late.get_by_text("Joining '8C' is closed; ask your teacher to open it again.")).to_be_visible()
    expect(cut.get_by_text(NO_CLASS)).to_be_visible()
    for page in (student, late, cut):
        page.wait_for_selector("[data-test-script-state='notRunning']")
    assert join_key not in student.content() and "Students (" not in student.content()  # no join link, no roster
    expect(late.get_by_role("textbox", name="Your nickname")).to_have_count(0)  # no form: nothing to submit
    assert n_labs(home) == before and len(classes.members(home, room)) == 1  # nothing was created
    assert "Traceback" not in shared_server.log_text()
