"""AppTest of the pages on a shared server (DIGITLAB_SHARED=1): a lab of one's own from the URL's key, what
another lab's visitor can never see or reach, and every bad key refused in one sentence with nothing created.

tests/e2e/test_shared_server.py does the same with several real browsers.
"""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from model import db, runs
from model.drawings import DrawingStore
from model.network import build_model
from model.registry import Registry
from model.spec import ArchSpec
from model.store import ModelMeta
from model.workspace import Workspace, key_hash, new_key
from tests.conftest import REPO
from ui.workspace import NO_LAB

TIMEOUT = 120


@pytest.fixture(autouse=True)
def shared(monkeypatch):
    monkeypatch.setenv("DIGITLAB_SHARED", "1")


def open_page(key: str | None = None, page: str | None = None, **params) -> AppTest:
    """A visit as a followed link makes it: `page` (default the Draw page) with `key` and `params` in its URL."""
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=TIMEOUT)
    link = ({"key": key} if key is not None else {}) | params
    if page is not None:  # app.py first (the sidebar's page links resolve against it), then the page
        for name, value in link.items():
            at.query_params[name] = value
        at.run()
        at.switch_page(page)
    for name, value in link.items():
        at.query_params[name] = value
    return at.run()


def labs(home) -> int:
    """Labs opened by a key on this server (the personal and shared workspaces left out)."""
    with db.engine(home).connect() as connection:
        keyed = db.workspaces.c.key_hash.is_not(None)
        return connection.execute(select(func.count()).select_from(db.workspaces).where(keyed)).scalar_one()


def new_lab(home) -> tuple[str, Workspace]:
    key = new_key()
    return key, db.create_workspace(home, key_hash(key))


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def add_model(home, workspace: Workspace, name: str) -> None:
    arch = ArchSpec.simple([8])
    meta = ModelMeta(name=name, arch=arch, metrics={"accuracy": 0.5, "loss": 1.0}, history=[], train={})
    Registry(home, workspace).add(build_model(arch, seed=1), meta)


def test_a_first_visit_opens_a_lab_of_its_own_and_puts_its_key_in_the_url(digitlab_home):
    at = open_page()
    assert not at.exception
    key = at.query_params["key"]
    assert len(key) >= 43 and labs(digitlab_home) == 1  # 32 random bytes, url-safe base64
    assert db.workspace_for_key(digitlab_home, key_hash(key)) is not None
    assert any("Keep its link" in i for i in texts(at.info))
    again = open_page(key)
    assert again.query_params["key"] == key and labs(digitlab_home) == 1  # the same link: the same lab


def tampered(key: str) -> str:
    return key[:-1] + ("A" if key[-1] != "A" else "B")


@pytest.mark.parametrize(
    "make_key",
    [
        pytest.param(tampered, id="one character changed"),
        pytest.param(lambda key: key[:20], id="cut short"),
        pytest.param(lambda key: "", id="empty"),
        pytest.param(lambda key: "k" * 10_000, id="10 kB"),
        pytest.param(lambda key: "<b>x</b><script>alert(1)</script>", id="markup"),
        pytest.param(lambda key: key + "'; DROP TABLE models; --", id="SQL"),
    ],
)
def test_a_key_that_opens_no_lab_gets_one_sentence_and_creates_nothing(digitlab_home, make_key):
    key, _ = new_lab(digitlab_home)
    at = open_page(make_key(key))
    assert not at.exception
    assert texts(at.error) == [NO_LAB]
    assert labs(digitlab_home) == 1  # nothing created
    assert not at.get("deck_gl_json_chart") and "Draw a digit" not in texts(at.title)  # the page stopped there


def test_a_deleted_labs_key_opens_nothing(digitlab_home):
    key, workspace = new_lab(digitlab_home)
    add_model(digitlab_home, workspace, "gone")
    db.delete_workspace(digitlab_home, workspace)
    at = open_page(key)
    assert texts(at.error) == [NO_LAB] and labs(digitlab_home) == 0


def test_another_labs_models_and_drawings_never_show(digitlab_home):
    _, lab_a = new_lab(digitlab_home)
    add_model(digitlab_home, lab_a, "secret-a")
    DrawingStore(digitlab_home, lab_a).add(np.full((28, 28), 0.5, np.float32), 7)
    key_b, _ = new_lab(digitlab_home)

    draw = open_page(key_b)
    assert "secret-a" not in draw.sidebar.selectbox[0].options
    assert "secret-a" not in str(draw.sidebar.selectbox[0].options) and not draw.exception
    train = open_page(key_b, "pages/1_Train.py")
    assert train.dataframe[0].value["Name"].tolist() == ["default"]
    assert any("(0 saved)" in t.label for t in train.toggle)  # "Include my labelled drawings (0 saved)"
    inside = open_page(key_b, "pages/3_Inside.py", model="secret-a", unit="3")
    assert any("There is no model named 'secret-a'" in w for w in texts(inside.warning))
    assert inside.session_state["inside_model"] == "default"


@pytest.mark.parametrize("name", ["n" * 10_000, "<img src=x onerror=alert(1)>"], ids=["10 kB", "markup"])
def test_a_hostile_model_name_in_a_deep_link_gets_one_short_sentence(digitlab_home, name):
    key, _ = new_lab(digitlab_home)
    at = open_page(key, "pages/3_Inside.py", model=name)
    assert not at.exception
    (warning,) = texts(at.warning)
    assert len(warning) < 400 and "<img" not in at.session_state["inside_model"]
    assert at.session_state["inside_model"] == "default" and labs(digitlab_home) == 1


def test_delete_my_lab_removes_every_row_and_file_and_its_link_opens_nothing(digitlab_home):
    key, workspace = new_lab(digitlab_home)
    add_model(digitlab_home, workspace, "mine")
    model_file = Registry(digitlab_home, workspace).get("mine").path
    at = open_page(key)
    at.sidebar.button(key="lab_delete").click().run()
    assert any("were deleted" in s for s in texts(at.success))
    assert labs(digitlab_home) == 0 and not model_file.exists()
    assert texts(open_page(key).error) == [NO_LAB]


def test_labs_unused_for_the_operators_days_are_deleted_on_a_visit(monkeypatch, digitlab_home):
    from sqlalchemy import update

    _, old = new_lab(digitlab_home)
    add_model(digitlab_home, old, "forgotten")
    forgotten = Registry(digitlab_home, old).get("forgotten").path
    key, recent = new_lab(digitlab_home)
    with db.engine(digitlab_home).begin() as connection:  # the old lab was last opened long ago
        connection.execute(update(db.workspaces).where(db.workspaces.c.id == old.id).values(last_seen="2000-01-01"))
    monkeypatch.setenv("DIGITLAB_LAB_DAYS", "2")
    at = open_page(key)
    assert not at.exception and labs(digitlab_home) == 1 and not forgotten.exists()
    assert db.workspace_for_key(digitlab_home, key_hash(key)) == recent


def test_the_personal_lab_has_no_key_and_no_lab_sidebar(monkeypatch, digitlab_home):
    monkeypatch.delenv("DIGITLAB_SHARED")
    at = open_page()
    assert "key" not in at.query_params and not at.get("popover") and labs(digitlab_home) == 0


def every_text(at: AppTest) -> str:
    """Everything the page says, in one string (to look for what must not be there)."""
    kinds = ("title", "subheader", "header", "markdown", "caption", "info", "warning", "error", "success")
    labels = [w.label for w in [*at.button, *at.number_input, *at.text_input, *at.selectbox, *at.toggle]]
    return "\n".join([e.value for kind in kinds for e in getattr(at, kind)] + labels + [str(at.query_params)])


@pytest.mark.parametrize(
    "annas, counted, place",
    [
        ("queued", "1 run waiting", "1 run ahead of yours."),
        ("training", "1 run training", "Yours is next."),
    ],
)
def test_another_labs_run_is_only_counted_and_my_train_press_queues_behind_it(digitlab_home, annas, counted, place):
    """Anna's run, queued or training, is a count on Ben's page: never its name, never its Stop or Cancel.
    Ben's Train press is queued in his own lab, not refused, and his Cancel takes out only his run."""
    from training.config import TrainConfig

    _, lab_a = new_lab(digitlab_home)
    key_b, lab_b = new_lab(digitlab_home)
    config = TrainConfig(epochs=200, batch_size=16, train_limit=1000).to_dict()
    anna = runs.submit(digitlab_home, lab_a, "annas-secret-run", ArchSpec.simple([16]), config, owner="annas-tab")
    if annas == "training":  # as a worker leaves it: taken, a batch reported
        runs.claim(digitlab_home, anna.id, "test-worker:1")
        runs.record(digitlab_home, anna.id, [], 0, "training", 0.01, 2.0)

    at = open_page(key_b, "pages/1_Train.py")
    assert not at.exception
    assert f"On this server for other labs: {counted}. Yours would wait its turn." in " ".join(texts(at.caption))
    assert "annas-secret-run" not in every_text(at)
    assert not [b for b in at.button if b.key in ("train_stop_keep", "train_stop_discard", "train_cancel")]

    at.text_input(key=f"train_name_g{at.session_state['train_form_gen']}").set_value("bens-run")
    at.button(key=f"train_go_g{at.session_state['train_form_gen']}").click().run()
    assert not at.exception and not texts(at.warning)  # queued, not refused
    assert "bens-run is in the queue" in texts(at.subheader)
    assert any(i.startswith(place.rstrip(".")) for i in texts(at.info))  # then the wait, once there is a pace
    assert "annas-secret-run" not in every_text(at)
    bens = runs.latest(digitlab_home, lab_b)
    assert (bens.name, bens.status) == ("bens-run", "queued")

    at.button(key="train_cancel").click().run()  # his Cancel is his run's only
    assert runs.get(digitlab_home, lab_b, bens.id).status == "cancelled"
    still = runs.get(digitlab_home, lab_a, anna.id)
    assert (still.name, still.status, still.stop) == ("annas-secret-run", annas, None)


# --- a student's lab in a class (the Class page itself: tests/test_class_page.py) ---------------------------


def student_in_class(home, max_models: int = 5) -> tuple[str, Workspace, Workspace]:
    """(student's key, student's lab, teacher's lab) of a class '7B' the student joined as 'Sam'."""
    from model import classes

    _, teacher = new_lab(home)
    room, _ = classes.create_class(home, "7B", teacher, max_models=max_models)
    student, key = classes.join(home, room, "Sam")
    return key, student, teacher


def test_a_student_is_told_the_teacher_sees_their_drawings_and_gets_no_class_page_link(digitlab_home):
    key, _, _ = student_in_class(digitlab_home)
    at = open_page(key)
    assert not at.exception
    assert "7B, as Sam" in texts(at.sidebar.text)
    assert any("Your teacher sees the drawings you save" in c for c in texts(at.sidebar.caption))
    assert "Class" not in [link.label for link in at.get("page_link")]
    teacher_view = open_page(new_lab(digitlab_home)[0])
    assert "Class" in [link.label for link in teacher_view.get("page_link")]


def test_a_student_at_the_classes_model_limit_gets_one_sentence_and_no_run(digitlab_home):
    key, student, _ = student_in_class(digitlab_home, max_models=1)
    add_model(digitlab_home, student, "first")
    at = open_page(key, "pages/1_Train.py")
    gen = at.session_state["train_form_gen"]
    at.text_input(key=f"train_name_g{gen}").set_value("second")
    at.button(key=f"train_go_g{gen}").click().run()
    assert not at.exception
    assert texts(at.warning) == [
        "Your class allows 1 models per student and you have 1; delete one on the Train page to train another."
    ]
    assert runs.latest(digitlab_home, student) is None  # nothing queued


def test_the_model_a_teacher_shares_shows_in_a_students_picker_and_only_there(digitlab_home):
    from model import classes

    key, student, teacher = student_in_class(digitlab_home)
    add_model(digitlab_home, teacher, "teachers-pick")
    classes.share_model(digitlab_home, classes.class_of(digitlab_home, student)[0], "teachers-pick")
    assert "teachers-pick · 50.00% · from your teacher" in open_page(key).sidebar.selectbox[0].options
    assert not any("teachers-pick" in o for o in open_page(new_lab(digitlab_home)[0]).sidebar.selectbox[0].options)


def test_a_database_setting_that_cannot_work_is_one_sentence_on_every_page(monkeypatch):
    """An operator's mistake in DIGITLAB_DATABASE_URL: each page says so in one sentence; no traceback."""
    from tests.conftest import REPO

    for url, reason in [
        ("mysql://x/y", "DIGITLAB_DATABASE_URL must be a postgresql://user@host:port/database URL."),
        ("postgresql://postgres@127.0.0.1:1/none", "Connection refused."),
    ]:
        monkeypatch.setenv("DIGITLAB_DATABASE_URL", url)
        for page in ("app.py", "pages/1_Train.py", "pages/2_Errors.py", "pages/3_Inside.py", "pages/4_Class.py"):
            at = AppTest.from_file(str(REPO / page), default_timeout=60).run()
            errors = [e.value for e in at.error]
            assert not at.exception and len(errors) == 1, (page, errors)
            assert errors[0].startswith("Digit Lab cannot open its database: ") and reason in errors[0], errors
            assert errors[0].endswith("Its operator can fix the setting.")
