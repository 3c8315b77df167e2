"""AppTest of the Class page (pages/4_Class.py) on a shared server: students join by the join link with a
nickname, every hostile join refused in one sentence with nothing created, nicknames always shown as text,
and the teacher's view: roster, drawings by digit, a model's confusion matrix on them, removing, closing,
sharing a model, the zip.

tests/e2e/test_classroom.py does the same with a teacher and three students in real browsers.
"""

from __future__ import annotations

import io
import sqlite3
import zipfile

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from model import Classifier, classes, db
from model.drawings import DrawingStore
from model.network import build_model
from model.registry import Registry
from model.spec import ArchSpec
from model.store import ModelMeta
from model.workspace import Workspace, key_hash, new_key
from tests.conftest import REPO
from training import confusion
from ui.classroom import device
from ui.classroom.join import NO_CLASS, PRIVACY
from ui.classroom.rooms import FOR_STUDENTS

TIMEOUT = 120
CLASS_PAGE = "pages/4_Class.py"
MARKUP = "**Zoë** [x](y) <b>b</b>"  # bold, a link, HTML: text, as any nickname (at most 24 characters)
COLOUR = ":red[Zoë] # :smile:"  # colour, a heading, an emoji code


@pytest.fixture(autouse=True)
def shared(monkeypatch):
    monkeypatch.setenv("DIGITLAB_SHARED", "1")


def class_page(**params: str) -> AppTest:
    """A visit to /Class?<params> as a followed link makes it: the Class page runs first, so no other page
    opens a lab (app.py is still the entry point, for st.switch_page and the sidebar's links)."""
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=TIMEOUT)
    at.switch_page(CLASS_PAGE)
    for name, value in params.items():
        at.query_params[name] = value
    return at.run()


def rows(home, table: str) -> int:
    with sqlite3.connect(home / db.DB_NAME) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def counts(home) -> tuple[int, int]:
    """(labs, class members): what a refused join must leave as it was."""
    return rows(home, "workspaces"), rows(home, "class_members")


def a_class(home, name: str = "7B maths", **limits) -> tuple[str, Workspace, classes.Classroom, str]:
    """(teacher's key, teacher's lab, the class, its join key)."""
    teacher_key = new_key()
    teacher = db.create_workspace(home, key_hash(teacher_key))
    room, join_key = classes.create_class(home, name, teacher, **limits)
    return teacher_key, teacher, room, join_key


def htmls(at: AppTest) -> list[str]:
    return [h.proto.body for h in at.get("html")]


def markups(at: AppTest) -> str:
    """Every element whose text Streamlit reads as markdown (and every widget label, markdown too)."""
    kinds = ("title", "subheader", "header", "markdown", "caption", "info", "warning", "error", "success")
    labels = [w.label for kind in ("button", "text_input", "selectbox", "toggle", "number_input") for w in at.get(kind)]
    return "\n".join([e.value for kind in kinds for e in getattr(at, kind)] + labels)


def everything(at: AppTest) -> str:
    """Everything the page holds: markdown, HTML, tables, codes, options, the URL."""
    tables = [df.value.to_csv() for df in at.dataframe]
    options = [str(s.options) for s in at.selectbox]
    codes = [c.value for c in at.code]
    return "\n".join([markups(at), *htmls(at), *tables, *options, *codes, str(at.query_params)])


def table(at: AppTest, column: str):
    """The one dataframe with `column`: "Last seen" (the roster) or "Share misread" (whose digits are misread)."""
    (found,) = [df.value for df in at.dataframe if column in df.value.columns]
    return found


def join_link(at: AppTest) -> str:
    """The join link the teacher's page shows in its copy box (the sidebar's holds the lab's own link)."""
    (link,) = [c.value for c in at.main.code if "?join=" in c.value]
    return link


def join_as(at: AppTest, nickname: str) -> AppTest:
    at.text_input(key="class_nickname").set_value(nickname)
    return at.button(key="FormSubmitter:class_join-Join the class").click().run()


def drawing(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (28, 28)).astype(np.float32) / 255


def add_model(home, workspace: Workspace, name: str) -> None:
    arch = ArchSpec.simple([8])
    meta = ModelMeta(name=name, arch=arch, metrics={"accuracy": 0.5, "loss": 1.0}, history=[], train={})
    Registry(home, workspace).add(build_model(arch, seed=1), meta)


# --- students join ---------------------------------------------------------------------------


def test_joining_with_a_nickname_makes_a_member_and_opens_its_lab_on_the_draw_page(digitlab_home):
    _, _, room, join_key = a_class(digitlab_home)
    at = class_page(join=join_key)
    assert not at.exception and counts(digitlab_home) == (3, 0)  # the visit opened no lab
    assert any(">7B maths<" in h for h in htmls(at)) and PRIVACY in [i.value for i in at.info]
    assert [t.label for t in at.text_input] == ["Your nickname"]  # a nickname only: no email, no name

    at = join_as(at, "Sam")
    assert not at.exception and any("Welcome to the class, Sam!" in h for h in htmls(at))
    (cookie,) = [h for h in htmls(at) if "document.cookie" in h]  # the browser keeps the key (e2e checks it does)
    assert f"digitlab_class_{room.id}=" in cookie and "SameSite=Lax" in cookie
    at.run()  # the hand-off's timed run, which the browser asks for once it has run the cookie's script
    ((student, nickname),) = [(m.workspace, m.nickname) for m in classes.members(digitlab_home, room)]
    key, opened = at.session_state["_workspace"]
    assert nickname == "Sam" and opened == student and db.workspace_for_key(digitlab_home, key_hash(key)) == student
    assert at.query_params["key"] == key and "join" not in at.query_params
    assert "Draw a digit" in [t.value for t in at.title]  # where the student draws
    assert f"digitlab_class_{room.id}={key};" in cookie


def test_a_closed_class_says_so_before_and_after_the_form(digitlab_home):
    teacher_key, _, room, join_key = a_class(digitlab_home)
    at = class_page(join=join_key)
    classes.set_joining(digitlab_home, room, False)  # the teacher closes it while the form is open
    before = counts(digitlab_home)
    at = join_as(at, "Sam")
    (sentence,) = [h for h in htmls(at) if "role='alert'" in h]
    assert "Joining &#x27;7B maths&#x27; is closed; ask your teacher to open it again." in sentence
    assert counts(digitlab_home) == before
    again = class_page(join=join_key)  # a new visit: no form at all
    assert not again.text_input and any("is closed" in h for h in htmls(again))


@pytest.mark.parametrize(
    "nickname, sentence",
    [
        pytest.param("x" * 10_000, "A nickname is at most 24 characters; this one has 10,000.", id="10 kB"),
        pytest.param("Sam\x00", "A nickname may not hold control or invisible characters.", id="control"),
        pytest.param("Sam\u202e", "A nickname may not hold control or invisible characters.", id="right-to-left"),
        pytest.param("   ", "Please give a nickname.", id="blank"),
        pytest.param("Ana", "Someone in this class is already called &#x27;Ana&#x27;", id="taken"),
    ],
)
def test_a_bad_nickname_gets_one_sentence_and_creates_nothing(digitlab_home, nickname, sentence):
    _, _, room, join_key = a_class(digitlab_home)
    classes.join(digitlab_home, room, "Ana")
    before = counts(digitlab_home)
    at = join_as(class_page(join=join_key), nickname)
    assert not at.exception
    (alert,) = [h for h in htmls(at) if "role='alert'" in h]
    assert sentence in alert and len(alert) < 600  # one sentence, not the nickname echoed back
    assert counts(digitlab_home) == before and "_workspace" not in at.session_state


@pytest.mark.parametrize(
    "nickname", [MARKUP, COLOUR, "Ana 🦊", "<img src=x onerror=f()>"], ids=["markup", "colour", "emoji", "img"]
)
def test_markup_and_emoji_nicknames_are_accepted_and_shown_as_text_only(digitlab_home, nickname):
    teacher_key, _, room, join_key = a_class(digitlab_home)
    at = join_as(class_page(join=join_key), nickname)
    assert not at.exception
    ((student, kept),) = [(m.workspace, m.nickname) for m in classes.members(digitlab_home, room)]
    assert kept == nickname
    DrawingStore(digitlab_home, student).add(drawing(1), 4)

    teacher = class_page(key=teacher_key)
    assert not teacher.exception
    assert teacher.dataframe[0].value["Nickname"].tolist() == [nickname]  # a table cell: text
    assert nickname not in markups(teacher) and "Zoë" not in markups(teacher)  # never where markdown is read
    shown = [h for h in htmls(teacher) if "Zo" in h or "Ana" in h or "img" in h]
    assert shown and all("<b>" not in h and "<img" not in h for h in shown)  # HTML-escaped where it is shown


def test_a_tampered_or_truncated_join_key_gets_one_sentence_and_creates_nothing(digitlab_home):
    teacher_key, _, room, join_key = a_class(digitlab_home)
    before = counts(digitlab_home)
    for bad in (join_key[:-1] + ("A" if join_key[-1] != "A" else "B"), join_key[:20], "", teacher_key, "j" * 10_000):
        at = class_page(join=bad)
        assert not at.exception and [e.value for e in at.error] == [NO_CLASS]
        assert not at.text_input and "7B maths" not in everything(at)
    assert counts(digitlab_home) == before


def test_the_41st_join_against_a_limit_of_40_is_told_the_class_is_full(digitlab_home):
    _, _, room, join_key = a_class(digitlab_home, "big", max_students=40)
    for i in range(39):
        classes.join(digitlab_home, room, f"student {i}")
    at = join_as(class_page(join=join_key), "the 40th")
    assert not at.exception and len(classes.members(digitlab_home, room)) == 40
    before = counts(digitlab_home)
    at = join_as(class_page(join=join_key), "the 41st")
    (alert,) = [h for h in htmls(at) if "role='alert'" in h]
    assert "&#x27;big&#x27; is full: it has 40 students, its limit; ask your teacher." in alert
    assert counts(digitlab_home) == before


def test_the_same_device_back_on_the_join_link_is_offered_its_own_lab(digitlab_home, monkeypatch):
    _, _, room, join_key = a_class(digitlab_home)
    sam, sam_key = classes.join(digitlab_home, room, MARKUP)
    _, _, other_room, _ = a_class(digitlab_home, "other")
    _, stranger_key = classes.join(digitlab_home, other_room, "Eve")
    cookies = {device.cookie_name(room): sam_key}
    monkeypatch.setattr(device, "_cookies", lambda: cookies)

    at = class_page(join=join_key)
    welcome = [h for h in htmls(at) if "Welcome back" in h]
    assert len(welcome) == 1 and "&lt;b&gt;b&lt;/b&gt;" in welcome[0] and MARKUP not in markups(at)
    before = counts(digitlab_home)
    at.button(key="class_continue").click().run()
    assert at.session_state["_workspace"] == (sam_key, sam) and counts(digitlab_home) == before

    at = class_page(join=join_key)
    at.button(key="class_someone_else_button").click().run()
    assert at.text_input(key="class_nickname") is not None and not any("Welcome back" in h for h in htmls(at))

    for untrusted in (stranger_key, sam_key[:-1] + "x", "<b>x</b>"):  # another class's student, a forged key
        cookies[device.cookie_name(room)] = untrusted
        at = class_page(join=join_key)
        assert not any("Welcome back" in h for h in htmls(at)) and at.text_input(key="class_nickname")


# --- who sees the Class page -----------------------------------------------------------------


def test_a_students_link_on_the_class_page_gets_one_sentence_and_nothing_of_the_class(digitlab_home):
    _, _, room, join_key = a_class(digitlab_home, "Secret class name")
    sam, sam_key = classes.join(digitlab_home, room, "Sam")
    classes.join(digitlab_home, room, "Other kid")
    DrawingStore(digitlab_home, sam).add(drawing(1), 3)
    at = class_page(key=sam_key)
    assert not at.exception and [i.value for i in at.info] == [FOR_STUDENTS]
    page = everything(at)
    for secret in ("Secret class name", join_key, "Other kid", "Students ("):
        assert secret not in page
    assert not at.dataframe and not at.get("plotly_chart") and not at.get("imgs")


def test_in_personal_mode_the_class_page_says_classes_need_a_shared_server(digitlab_home, monkeypatch):
    monkeypatch.delenv("DIGITLAB_SHARED")
    _, _, _, join_key = a_class(digitlab_home)
    before = counts(digitlab_home)
    for params in ({}, {"join": join_key}):
        at = class_page(**params)
        assert not at.exception and [i.value for i in at.info] == [
            "Classes need a shared server, where every student gets a lab of their own: start one with `make serve`."
        ]
        assert not at.text_input and counts(digitlab_home) == before


# --- the teacher's page ----------------------------------------------------------------------


def test_a_lab_without_a_class_creates_one_and_a_bad_name_gets_one_sentence(digitlab_home):
    teacher_key = new_key()
    teacher = db.create_workspace(digitlab_home, key_hash(teacher_key))
    at = class_page(key=teacher_key)
    at.text_input(key="class_new_name").set_value("x" * 10_000)
    at.button(key="FormSubmitter:class_create-Create the class").click().run()
    (alert,) = [h for h in htmls(at) if "role='alert'" in h]
    assert "A class name is at most 60 characters" in alert and rows(digitlab_home, "classes") == 0

    at.text_input(key="class_new_name").set_value("7B <b>maths</b>")
    at.number_input(key="class_new_students").set_value(25)
    at.button(key="FormSubmitter:class_create-Create the class").click().run()
    (room,) = classes.classes_taught(digitlab_home, teacher)
    assert (room.name, room.max_students, room.max_models) == ("7B <b>maths</b>", 25, 5)
    assert any("7B &lt;b&gt;maths&lt;/b&gt;" in h for h in htmls(at))  # the name as text
    link = join_link(at)  # made here, so the page can show the join link and its QR code
    assert classes.class_for_join(digitlab_home, link.split("?join=")[1]) == room
    assert any("Students join by scanning this" in i.value for i in at.info)


@pytest.fixture
def full_class(digitlab_home):
    """A teacher and three students with four drawings each."""
    teacher_key, teacher, room, join_key = a_class(digitlab_home)
    students = {}
    for s, nickname in enumerate(("Sam", "Ana 🦊", "Lee")):
        student, key = classes.join(digitlab_home, room, nickname)
        for d in range(4):
            DrawingStore(digitlab_home, student).add(drawing(10 * s + d), (s + d) % 10)
        students[nickname] = (student, key)
    return teacher_key, teacher, room, students


def test_the_teachers_page_shows_the_roster_the_drawings_by_digit_and_a_confusion_matrix(digitlab_home, full_class):
    teacher_key, _, room, _ = full_class
    at = class_page(key=teacher_key)
    assert not at.exception
    roster = table(at, "Last seen")
    assert dict(zip(roster["Nickname"], roster["Drawings"])) == {"Sam": 4, "Ana 🦊": 4, "Lee": 4}  # in joining order
    assert any(s.value == "The class's drawings (12)" for s in at.subheader)
    pills = at.get("button_group")[0]  # the digit picker: "0 · 1", "1 · 2", ...
    assert "2 · 3" in [o.content for o in pills.proto.options]
    assert at.session_state["class_digit"] == 0 and len([h for h in htmls(at) if "title='Sam'" in h]) == 1
    assert len(at.get("plotly_chart")) == 1  # the confusion matrix
    writers = table(at, "Share misread")
    assert sorted(writers["Nickname"]) == ["Ana 🦊", "Lee", "Sam"] and writers["Drawings"].tolist() == [4, 4, 4]
    shares = writers["Share misread"].tolist()
    assert shares == sorted(shares, reverse=True)

    pooled = classes.class_drawings(digitlab_home, room)  # the reference: the bundled model on the same drawings
    ev = confusion.evaluate_on(Classifier.load("default"), confusion.class_drawings(pooled.x, pooled.y, pooled.ids, []))
    assert at.session_state["class_model"] == "default"
    assert at.metric[0].value == f"{ev.accuracy:.1%}" and writers["Misread"].sum() == (ev.labels != ev.predicted).sum()
    true, predicted = (int(i) for i in np.unravel_index(ev.confusion.argmax(), ev.confusion.shape))
    at.session_state["class_cell"] = (true, predicted)  # a click on that cell (tests/e2e/test_classroom.py clicks)
    at.run()
    tiles = [h for h in htmls(at) if "→" in h or "✓" in h]  # one per drawing behind the cell, with who drew it
    assert len(tiles) == ev.confusion[true, predicted]
    assert all(any(f">{n}<" in h for n in ("Sam", "Ana 🦊", "Lee")) for h in tiles)


def test_the_teacher_removes_a_drawing_and_a_student(digitlab_home, full_class):
    teacher_key, _, room, students = full_class
    at = class_page(key=teacher_key)
    drawing_id = int(classes.class_drawings(digitlab_home, room).ids[0])  # Sam's 0, shown first
    at.button(key=f"class_remove_drawing_{drawing_id}").click().run()
    assert drawing_id not in classes.class_drawings(digitlab_home, room).ids and not at.exception
    roster = table(at, "Last seen")
    assert dict(zip(roster["Nickname"], roster["Drawings"])) == {"Sam": 3, "Ana 🦊": 4, "Lee": 4}

    lee = students["Lee"][0]
    at.selectbox(key="class_remove_who").select(lee.id).run()
    at.button(key="class_remove_student").click().run()
    assert sorted(m.nickname for m in classes.members(digitlab_home, room)) == ["Ana 🦊", "Sam"]
    assert not db.workspace_exists(digitlab_home, lee)
    assert sorted(table(at, "Last seen")["Nickname"]) == ["Ana 🦊", "Sam"]


def test_the_teacher_closes_and_opens_joining_and_makes_a_new_link(digitlab_home, full_class):
    teacher_key, _, room, _ = full_class
    at = class_page(key=teacher_key)
    assert join_link(at).endswith(f"?join={room.join_key}")  # a class made elsewhere: its link is shown
    assert at.button(key="class_joining").label == "Close joining"
    at.button(key="class_joining").click().run()
    assert not classes.get_class(digitlab_home, room.id).joining_open
    assert at.button(key="class_joining").label == "Open joining"
    at.button(key="class_joining").click().run()
    assert classes.get_class(digitlab_home, room.id).joining_open

    at.button(key="class_new_link").click().run()
    new_key_ = join_link(at).split("?join=")[1]
    assert classes.class_for_join(digitlab_home, new_key_) == classes.get_class(digitlab_home, room.id)


def test_sharing_a_model_shows_it_read_only_in_a_students_registry(digitlab_home, full_class):
    teacher_key, teacher, room, students = full_class
    add_model(digitlab_home, teacher, "teachers-model")
    at = class_page(key=teacher_key)
    (picker,) = [s for s in at.selectbox if s.label == "Shared model"]
    picker.select("teachers-model").run()
    assert not at.exception and classes.get_class(digitlab_home, room.id).shared_model == "teachers-model"
    sams = {r.name: r for r in Registry(digitlab_home, students["Sam"][0]).records()}
    assert sams["teachers-model"].from_class  # read-only, like the bundled default


def test_the_export_zip_holds_every_drawing_with_its_nickname(digitlab_home, full_class, downloads):
    teacher_key, _, _, _ = full_class
    at = class_page(key=teacher_key)
    data, file_name = downloads.of(at.get("download_button")[0])
    assert file_name == "class-drawings.zip"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        csv = archive.read("drawings.csv").decode().splitlines()
        assert archive.read("labels-idx1-ubyte")[8:] == bytes([0, 1, 2, 3, 1, 2, 3, 4, 2, 3, 4, 5])
    assert (
        csv[0].endswith(",nickname")
        and [line.rsplit(",", 1)[1] for line in csv[1:]] == ["Sam"] * 4 + ["Ana 🦊"] * 4 + ["Lee"] * 4
    )


def test_the_limits_are_saved(digitlab_home, full_class):
    teacher_key, _, room, _ = full_class
    at = class_page(key=teacher_key)
    at.number_input(key=f"class_max_students_{room.id}").set_value(3)
    at.number_input(key=f"class_max_models_{room.id}").set_value(2)
    at.button(key=f"FormSubmitter:class_limits_{room.id}-Save the limits").click().run()
    saved = classes.get_class(digitlab_home, room.id)
    assert (saved.max_students, saved.max_models) == (3, 2) and not at.exception
