"""Classes in the store: joining, its limits and refusals, the teacher's view, sharing a model, the CLI."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

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
    with sqlite3.connect(home / db.DB_NAME) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def drawing(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (28, 28)).astype(np.float32) / 255


def add_model(home: Path, ws: Workspace, name: str) -> None:
    arch = ArchSpec.simple([8])
    Registry(home, ws).add(build_model(arch, seed=1), ModelMeta(name=name, arch=arch, metrics={"accuracy": 0.5}))


def test_students_join_with_a_nickname_and_the_teacher_sees_who_saved_what(digitlab_home):
    teacher = teacher_lab(digitlab_home)
    room, join_key = classes.create_class(digitlab_home, "7B maths", teacher)
    assert is_key(join_key) and classes.class_for_join(digitlab_home, join_key) == room
    sam, sam_key = classes.join(digitlab_home, room, "  Sam ")
    ana, _ = classes.join(digitlab_home, room, "Ana 🦊")
    assert db.workspace_for_key(digitlab_home, key_hash(sam_key)) == sam
    assert classes.class_of(digitlab_home, sam) == (room, "Sam") and classes.class_of(digitlab_home, teacher) is None
    DrawingStore(digitlab_home, sam).add(drawing(1), 7)
    DrawingStore(digitlab_home, sam).add(drawing(2), 1)
    DrawingStore(digitlab_home, ana).add(drawing(3), 7)
    DrawingStore(digitlab_home, teacher).add(drawing(4), 3)  # the teacher's own: not the class's
    roster = {m.nickname: (m.workspace, m.drawings, m.models) for m in classes.members(digitlab_home, room)}
    assert roster == {"Sam": (sam, 2, 0), "Ana 🦊": (ana, 1, 0)}
    pooled = classes.class_drawings(digitlab_home, room)
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
def test_a_bad_nickname_gets_one_sentence_and_creates_nothing(digitlab_home, nickname, sentence):
    room, _ = classes.create_class(digitlab_home, "c", teacher_lab(digitlab_home))
    before = n_rows(digitlab_home, "workspaces")
    with pytest.raises(ClassError, match=sentence):
        classes.join(digitlab_home, room, nickname)
    assert n_rows(digitlab_home, "workspaces") == before and n_rows(digitlab_home, "class_members") == 0


def test_markup_and_emoji_are_kept_as_text(digitlab_home):
    room, _ = classes.create_class(digitlab_home, "c", teacher_lab(digitlab_home))
    student, _ = classes.join(digitlab_home, room, "<b>Zoë</b> 🎈")
    assert classes.class_of(digitlab_home, student)[1] == "<b>Zoë</b> 🎈"


def test_a_taken_nickname_a_closed_class_and_a_full_class_create_nothing(digitlab_home):
    room, _ = classes.create_class(digitlab_home, "7B", teacher_lab(digitlab_home), max_students=2)
    classes.join(digitlab_home, room, "Sam")
    before = n_rows(digitlab_home, "workspaces")
    with pytest.raises(ClassError, match="already called 'Sam'"):
        classes.join(digitlab_home, room, "Sam")
    classes.set_joining(digitlab_home, room, False)
    with pytest.raises(ClassError, match="Joining '7B' is closed"):
        classes.join(digitlab_home, room, "Ana")
    classes.set_joining(digitlab_home, room, True)
    classes.join(digitlab_home, room, "Ana")
    with pytest.raises(ClassError, match="'7B' is full: it has 2 students, its limit"):
        classes.join(digitlab_home, room, "Lee")
    assert n_rows(digitlab_home, "workspaces") == before + 1 and n_rows(digitlab_home, "class_members") == 2


def test_41_joins_at_once_against_a_limit_of_40_let_exactly_40_in(digitlab_home):
    room, _ = classes.create_class(digitlab_home, "big", teacher_lab(digitlab_home), max_students=40)
    refused, errors = [], []

    def join(i: int) -> None:
        try:
            classes.join(digitlab_home, room, f"student {i}")
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
    assert len(classes.members(digitlab_home, room)) == 40 and n_rows(digitlab_home, "workspaces") == 2 + 1 + 40


@pytest.mark.parametrize("bad", ["tampered", "truncated", "a lab's key", "empty", "none"])
def test_a_bad_join_key_finds_no_class(digitlab_home, bad):
    teacher_key = new_key()
    teacher = db.create_workspace(digitlab_home, key_hash(teacher_key))
    _, join_key = classes.create_class(digitlab_home, "c", teacher)
    candidate = {
        "tampered": join_key[:5] + ("A" if join_key[5] != "A" else "B") + join_key[6:],
        "truncated": join_key[:-2],
        "a lab's key": teacher_key,
        "empty": "",
        "none": None,
    }[bad]
    assert classes.class_for_join(digitlab_home, candidate) is None


def test_a_new_join_link_retires_the_old_one(digitlab_home):
    room, old = classes.create_class(digitlab_home, "c", teacher_lab(digitlab_home))
    new = classes.new_join_key(digitlab_home, room)
    assert (
        classes.class_for_join(digitlab_home, old) is None and classes.class_for_join(digitlab_home, new).id == room.id
    )


def test_the_teacher_removes_a_drawing_or_a_student_of_the_class_and_nothing_else(digitlab_home):
    teacher = teacher_lab(digitlab_home)
    room, _ = classes.create_class(digitlab_home, "c", teacher)
    other_room, _ = classes.create_class(digitlab_home, "other", teacher_lab(digitlab_home))
    sam, _ = classes.join(digitlab_home, room, "Sam")
    stranger, _ = classes.join(digitlab_home, other_room, "Sam")
    mine = DrawingStore(digitlab_home, sam).add(drawing(1), 2)
    theirs = DrawingStore(digitlab_home, stranger).add(drawing(2), 2)
    assert not classes.remove_drawing(digitlab_home, room, theirs)  # another class's drawing: refused
    assert not classes.remove_student(digitlab_home, room, stranger)
    assert DrawingStore(digitlab_home, stranger).count() == 1
    assert classes.remove_drawing(digitlab_home, room, mine) and DrawingStore(digitlab_home, sam).count() == 0
    add_model(digitlab_home, sam, "sams")
    assert classes.remove_student(digitlab_home, room, sam)
    assert not db.workspace_exists(digitlab_home, sam) and classes.members(digitlab_home, room) == []
    assert not list((digitlab_home / "models" / sam.id).glob("*.keras"))


def test_a_shared_model_is_read_only_in_every_students_lab_and_only_theirs(digitlab_home):
    teacher = teacher_lab(digitlab_home)
    room, _ = classes.create_class(digitlab_home, "c", teacher)
    sam, _ = classes.join(digitlab_home, room, "Sam")
    outsider = teacher_lab(digitlab_home)
    add_model(digitlab_home, teacher, "teachers")
    add_model(digitlab_home, teacher, "secret")
    with pytest.raises(ClassError, match="no model named 'nope'"):
        classes.share_model(digitlab_home, room, "nope")
    with pytest.raises(ClassError, match="no model named 'default'"):
        classes.share_model(digitlab_home, room, BUNDLED_NAME)  # the bundled one is everyone's already
    classes.share_model(digitlab_home, room, "teachers")
    students = Registry(digitlab_home, sam)
    assert [(r.name, r.from_class) for r in students.records()] == [("teachers", True), (BUNDLED_NAME, False)]
    with pytest.raises(RegistryError, match="your teacher shares"):
        students.delete("teachers")
    students.set_active("teachers")
    assert students.active_name() == "teachers" and Registry(digitlab_home, teacher).exists("teachers")
    assert not students.exists("secret") and not Registry(digitlab_home, outsider).exists("teachers")
    classes.share_model(digitlab_home, room, None)
    assert not students.exists("teachers") and students.active_name() == BUNDLED_NAME


def test_a_student_keeps_at_most_the_classes_number_of_models(digitlab_home):
    room, _ = classes.create_class(digitlab_home, "c", teacher_lab(digitlab_home), max_models=1)
    sam, _ = classes.join(digitlab_home, room, "Sam")
    assert classes.model_room(digitlab_home, sam) is None
    add_model(digitlab_home, sam, "first")
    assert "allows 1 models per student and you have 1" in classes.model_room(digitlab_home, sam)
    assert classes.model_room(digitlab_home, teacher_lab(digitlab_home)) is None  # no class, no limit


def test_deleting_the_teachers_lab_ends_the_class_and_leaves_the_students_labs(digitlab_home):
    teacher = teacher_lab(digitlab_home)
    room, join_key = classes.create_class(digitlab_home, "c", teacher)
    sam, _ = classes.join(digitlab_home, room, "Sam")
    db.delete_workspace(digitlab_home, teacher)
    assert classes.class_for_join(digitlab_home, join_key) is None and classes.class_of(digitlab_home, sam) is None
    assert db.workspace_exists(digitlab_home, sam)


def test_a_students_lab_cannot_run_a_class(digitlab_home):
    room, _ = classes.create_class(digitlab_home, "c", teacher_lab(digitlab_home))
    sam, _ = classes.join(digitlab_home, room, "Sam")
    with pytest.raises(ClassError, match="A student's lab cannot run a class"):
        classes.create_class(digitlab_home, "mine", sam)


def cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "model", "class", *args],
        cwd=REPO,
        env={"DIGITLAB_HOME": str(home), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_cli_creates_a_class_and_prints_its_two_links(digitlab_home):
    done = cli(digitlab_home, "create", "7B maths", "--students", "30", "--json")
    assert done.returncode == 0, done.stderr
    links = json.loads(done.stdout)
    assert set(links) == {"name", "teacher_link", "join_link"} and links["name"] == "7B maths"
    teacher_key = links["teacher_link"].removeprefix("/Class?key=")
    join_key = links["join_link"].removeprefix("/Class?join=")
    room = classes.class_for_join(digitlab_home, join_key)
    assert room.max_students == 30 and room.teacher == db.workspace_for_key(digitlab_home, key_hash(teacher_key))


@pytest.mark.parametrize(
    "args, sentence",
    [(["x" * 10_000], "at most 60 characters"), (["c", "--students", "0"], "from 1 to 500"), ([""], "Please give")],
)
def test_the_cli_refuses_bad_input_in_one_sentence_and_creates_nothing(digitlab_home, args, sentence):
    db.engine(digitlab_home)
    done = cli(digitlab_home, "create", *args, "--json")
    assert done.returncode == 2 and sentence in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and done.stdout == ""
    assert n_rows(digitlab_home, "workspaces") == 2 and n_rows(digitlab_home, "classes") == 0
