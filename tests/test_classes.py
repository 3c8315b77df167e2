"""Classes in the store: joining, its limits and refusals, the teacher's view, sharing a model, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from model import classes, db
from model.classes import ClassError
from model.drawings import DrawingStore
from model.network import build_model
from model.registry import BUNDLED_NAME, Registry, RegistryError
from model.spec import ArchSpec
from model.store import ModelMeta
from model.workspace import Workspace, is_key, key_hash, new_key

REPO = Path(__file__).resolve().parent.parent


def teacher_lab(home: Path) -> Workspace:
    return db.create_workspace(home, key_hash(new_key()))


def n_rows(home: Path, table: str) -> int:
    with db.engine(home).connect() as conn:
        return conn.execute(select(func.count()).select_from(db.metadata.tables[table])).scalar_one()


def drawing(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (28, 28)).astype(np.float32) / 255


def add_model(home: Path, ws: Workspace, name: str) -> None:
    arch = ArchSpec.simple([8])
    Registry(home, ws).add(build_model(arch, seed=1), ModelMeta(name=name, arch=arch, metrics={"accuracy": 0.5}))


def test_students_join_with_a_nickname_and_the_teacher_sees_who_saved_what(store):
    teacher = teacher_lab(store)
    room, join_key = classes.create_class(store, "7B maths", teacher)
    assert is_key(join_key) and classes.class_for_join(store, join_key) == room
    sam, sam_key = classes.join(store, room, "  Sam ")
    ana, _ = classes.join(store, room, "Ana 🦊")
    assert db.workspace_for_key(store, key_hash(sam_key)) == sam
    assert classes.class_of(store, sam) == (room, "Sam") and classes.class_of(store, teacher) is None
    DrawingStore(store, sam).add(drawing(1), 7)
    DrawingStore(store, sam).add(drawing(2), 1)
    DrawingStore(store, ana).add(drawing(3), 7)
    DrawingStore(store, teacher).add(drawing(4), 3)  # the teacher's own: not the class's
    roster = {m.nickname: (m.workspace, m.drawings, m.models) for m in classes.members(store, room)}
    assert roster == {"Sam": (sam, 2, 0), "Ana 🦊": (ana, 1, 0)}
    pooled = classes.class_drawings(store, room)
    assert pooled.nicknames == ["Sam", "Sam", "Ana 🦊"] and pooled.y.tolist() == [7, 1, 7]
    assert pooled.x.shape == (3, 28, 28) and pooled.x.dtype == np.uint8
    assert np.array_equal(pooled.x[2], np.round(drawing(3) * 255).astype(np.uint8))


@pytest.mark.parametrize(
    "nickname, sentence",
    [
        ("x" * 10_000, "at most 24 characters; this one has 10,000"),
        ("", "Please give a nickname"),
        ("   ", "Please give a nickname"),
        ("Sam\x00", "control or invisible"),
        ("Sam\u202e", "control or invisible"),  # right-to-left override: a name that reads as another
        (None, "Please give a nickname"),
    ],
)
def test_a_bad_nickname_gets_one_sentence_and_creates_nothing(store, nickname, sentence):
    room, _ = classes.create_class(store, "c", teacher_lab(store))
    before = n_rows(store, "workspaces")
    with pytest.raises(ClassError, match=sentence):
        classes.join(store, room, nickname)
    assert n_rows(store, "workspaces") == before and n_rows(store, "class_members") == 0


def test_markup_and_emoji_are_kept_as_text(store):
    room, _ = classes.create_class(store, "c", teacher_lab(store))
    student, _ = classes.join(store, room, "<b>Zoë</b> 🎈")
    assert classes.class_of(store, student)[1] == "<b>Zoë</b> 🎈"


def test_a_taken_nickname_a_closed_class_and_a_full_class_create_nothing(store):
    room, _ = classes.create_class(store, "7B", teacher_lab(store), max_students=2)
    classes.join(store, room, "Sam")
    before = n_rows(store, "workspaces")
    with pytest.raises(ClassError, match="already called 'Sam'"):
        classes.join(store, room, "Sam")
    classes.set_joining(store, room, False)
    with pytest.raises(ClassError, match="Joining '7B' is closed"):
        classes.join(store, room, "Ana")
    classes.set_joining(store, room, True)
    classes.join(store, room, "Ana")
    with pytest.raises(ClassError, match="'7B' is full: it has 2 students, its limit"):
        classes.join(store, room, "Lee")
    assert n_rows(store, "workspaces") == before + 1 and n_rows(store, "class_members") == 2


def test_41_joins_at_once_against_a_limit_of_40_let_exactly_40_in(store):
    room, _ = classes.create_class(store, "big", teacher_lab(store), max_students=40)
    refused, errors = [], []

    def join(i: int) -> None:
        try:
            classes.join(store, room, f"student {i}")
        except ClassError as error:
            refused.append(str(error))
        except Exception as error:  # noqa: BLE001 - any other failure fails the test below
            errors.append(error)

    threads = [threading.Thread(target=join, args=(i,)) for i in range(41)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and refused == ["'big' is full: it has 40 students, its limit; ask your teacher."]
    assert len(classes.members(store, room)) == 40 and n_rows(store, "workspaces") == 2 + 1 + 40


@pytest.mark.parametrize("bad", ["tampered", "truncated", "a lab's key", "empty", "none"])
def test_a_bad_join_key_finds_no_class(store, bad):
    teacher_key = new_key()
    teacher = db.create_workspace(store, key_hash(teacher_key))
    _, join_key = classes.create_class(store, "c", teacher)
    candidate = {
        "tampered": join_key[:5] + ("A" if join_key[5] != "A" else "B") + join_key[6:],
        "truncated": join_key[:-2],
        "a lab's key": teacher_key,
        "empty": "",
        "none": None,
    }[bad]
    assert classes.class_for_join(store, candidate) is None


def test_a_new_join_link_retires_the_old_one(store):
    room, old = classes.create_class(store, "c", teacher_lab(store))
    new = classes.new_join_key(store, room)
    assert classes.class_for_join(store, old) is None and classes.class_for_join(store, new).id == room.id


def test_the_teacher_removes_a_drawing_or_a_student_of_the_class_and_nothing_else(store):
    teacher = teacher_lab(store)
    room, _ = classes.create_class(store, "c", teacher)
    other_room, _ = classes.create_class(store, "other", teacher_lab(store))
    sam, _ = classes.join(store, room, "Sam")
    stranger, _ = classes.join(store, other_room, "Sam")
    mine = DrawingStore(store, sam).add(drawing(1), 2)
    theirs = DrawingStore(store, stranger).add(drawing(2), 2)
    assert not classes.remove_drawing(store, room, theirs)  # another class's drawing: refused
    assert not classes.remove_student(store, room, stranger)
    assert DrawingStore(store, stranger).count() == 1
    assert classes.remove_drawing(store, room, mine) and DrawingStore(store, sam).count() == 0
    add_model(store, sam, "sams")
    assert classes.remove_student(store, room, sam)
    assert not db.workspace_exists(store, sam) and classes.members(store, room) == []
    assert not list((store / "models" / sam.id).glob("*.keras"))


def test_a_shared_model_is_read_only_in_every_students_lab_and_only_theirs(store):
    teacher = teacher_lab(store)
    room, _ = classes.create_class(store, "c", teacher)
    sam, _ = classes.join(store, room, "Sam")
    outsider = teacher_lab(store)
    add_model(store, teacher, "teachers")
    add_model(store, teacher, "secret")
    with pytest.raises(ClassError, match="no model named 'nope'"):
        classes.share_model(store, room, "nope")
    with pytest.raises(ClassError, match="no model named 'default'"):
        classes.share_model(store, room, BUNDLED_NAME)  # the bundled one is everyone's already
    classes.share_model(store, room, "teachers")
    students = Registry(store, sam)
    assert [(r.name, r.from_class) for r in students.records()] == [("teachers", True), (BUNDLED_NAME, False)]
    with pytest.raises(RegistryError, match="your teacher shares"):
        students.delete("teachers")
    students.set_active("teachers")
    assert students.active_name() == "teachers" and Registry(store, teacher).exists("teachers")
    assert not students.exists("secret") and not Registry(store, outsider).exists("teachers")
    classes.share_model(store, room, None)
    assert not students.exists("teachers") and students.active_name() == BUNDLED_NAME


def test_a_student_keeps_at_most_the_classes_number_of_models(store):
    room, _ = classes.create_class(store, "c", teacher_lab(store), max_models=1)
    sam, _ = classes.join(store, room, "Sam")
    assert classes.model_room(store, sam) is None
    add_model(store, sam, "first")
    assert "allows 1 models per student and you have 1" in classes.model_room(store, sam)
    assert classes.model_room(store, teacher_lab(store)) is None  # no class, no limit


def test_deleting_the_teachers_lab_ends_the_class_and_leaves_the_students_labs(store):
    teacher = teacher_lab(store)
    room, join_key = classes.create_class(store, "c", teacher)
    sam, _ = classes.join(store, room, "Sam")
    db.delete_workspace(store, teacher)
    assert classes.class_for_join(store, join_key) is None and classes.class_of(store, sam) is None
    assert db.workspace_exists(store, sam)


def test_a_students_lab_cannot_run_a_class(store):
    room, _ = classes.create_class(store, "c", teacher_lab(store))
    sam, _ = classes.join(store, room, "Sam")
    with pytest.raises(ClassError, match="A student's lab cannot run a class"):
        classes.create_class(store, "mine", sam)


def database_env() -> dict[str, str]:
    """The store's PostgreSQL URL for a child's environment, if the test's store is on PostgreSQL."""
    url = os.environ.get("DIGITLAB_DATABASE_URL")
    return {"DIGITLAB_DATABASE_URL": url} if url else {}


def cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "model", "class", *args],
        cwd=REPO,
        env={"DIGITLAB_HOME": str(home), "PATH": "/usr/bin:/bin"} | database_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_cli_creates_a_class_and_prints_its_two_links(store):
    done = cli(store, "create", "7B maths", "--students", "30", "--json")
    assert done.returncode == 0, done.stderr
    links = json.loads(done.stdout)
    assert set(links) == {"name", "teacher_link", "join_link"} and links["name"] == "7B maths"
    teacher_key = links["teacher_link"].removeprefix("/Class?key=")
    join_key = links["join_link"].removeprefix("/Class?join=")
    room = classes.class_for_join(store, join_key)
    assert room.max_students == 30 and room.teacher == db.workspace_for_key(store, key_hash(teacher_key))


@pytest.mark.parametrize(
    "args, sentence",
    [(["x" * 10_000], "at most 60 characters"), (["c", "--students", "0"], "from 1 to 500"), ([""], "Please give")],
)
def test_the_cli_refuses_bad_input_in_one_sentence_and_creates_nothing(store, args, sentence):
    db.engine(store)
    done = cli(store, "create", *args, "--json")
    assert done.returncode == 2 and sentence in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and done.stdout == ""
    assert n_rows(store, "workspaces") == 2 and n_rows(store, "classes") == 0
