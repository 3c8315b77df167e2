"""Classes: a teacher's lab runs a class; students join it with a nickname and each gets a lab of their own.

    room, join_key = create_class(home, "7B maths", teacher)     # teacher: the teacher's workspace
    room = class_for_join(home, join_key)                         # the join link's key -> its class, or None
    student, key = join(home, room, "Sam")                        # a new lab in the class (ClassError: one sentence)
    class_of(home, student) -> (room, "Sam"); members(home, room); class_drawings(home, room)

The join link's key is a capability like a lab's (model/workspace.py), but an invitation put up on a classroom
screen rather than a secret: the database keeps it as itself, so the teacher's page can show it at any time,
and a new one retires it. A lab's key, which opens the lab, is still kept only as a hash. A student's lab is an ordinary lab opened by its own key; the class adds a nickname, the teacher's view
of its drawings, and the limits below. Only portable SQLAlchemy Core, as in model/db.py.
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from model import db
from model.db import class_members, classes, drawings, models, now_iso, workspaces
from model.spec import IMAGE_SIDE
from model.workspace import Workspace, is_key, key_hash, new_key

MAX_STUDENTS, MAX_MODELS, MAX_RUNS = 40, 5, 10  # a class's limits unless the teacher sets others
LIMITS = {"max_students": (1, 500), "max_models": (1, 50), "max_runs": (1, 100)}  # what a teacher may set
LIMIT_WORDS = {"max_students": "students", "max_models": "models per student", "max_runs": "runs at once"}
NICKNAME_CHARS = 24
CLASS_NAME_CHARS = 60


class ClassError(ValueError):
    """A class request we refuse; the message is one sentence for the person who asked."""


@dataclass(frozen=True)
class Classroom:
    id: str
    name: str
    teacher: Workspace
    joining_open: bool
    max_students: int
    max_models: int  # per student
    max_runs: int  # the class's runs queued or training at once (model/runs.py submit)
    shared_model: str | None  # one of the teacher's models, read-only in every student's lab
    created: str
    join_key: str = field(repr=False)  # the join link's key: the teacher's page shows it; never in a student's view


@dataclass(frozen=True)
class Member:
    workspace: Workspace
    nickname: str
    joined: str
    last_seen: str
    drawings: int
    models: int


@dataclass(frozen=True)
class ClassDrawings:
    """The class's saved drawings, oldest first, as the Errors page's parts take them."""

    x: np.ndarray  # (n, 28, 28) uint8
    y: np.ndarray  # (n,) int64 labels
    ids: np.ndarray  # (n,) int64 drawing ids
    owners: list[str]  # each drawing's student workspace id
    nicknames: list[str]  # each drawing's student nickname

    def __len__(self) -> int:
        return len(self.y)


def _plain_text(value: object, what: str, limit: int) -> str:
    """`value` trimmed, or ClassError: 1 to `limit` characters, no control or invisible formatting characters."""
    if not isinstance(value, str) or not value.strip():
        raise ClassError(f"Please give a {what}.")
    value = unicodedata.normalize("NFC", " ".join(value.split()))
    if len(value) > limit:
        raise ClassError(f"A {what} is at most {limit} characters; this one has {len(value):,}.")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") and c != "\u200d" for c in value):
        raise ClassError(f"A {what} may not hold control or invisible characters.")
    return value


def check_nickname(nickname: object) -> str:
    """A nickname as stored: letters, digits, spaces, punctuation and emoji; shown as text, never as markup."""
    return _plain_text(nickname, "nickname", NICKNAME_CHARS)


def check_class_name(name: object) -> str:
    return _plain_text(name, "class name", CLASS_NAME_CHARS)


def _room(row) -> Classroom:
    return Classroom(
        id=row.id,
        name=row.name,
        teacher=Workspace(row.teacher_id),
        joining_open=bool(row.joining_open),
        max_students=row.max_students,
        max_models=row.max_models,
        max_runs=row.max_runs,
        shared_model=row.shared_model,
        created=row.created,
        join_key=row.join_key,
    )


# --- the teacher's side -----------------------------------------------------------------------


def create_class(
    home: Path,
    name: str,
    teacher: Workspace,
    max_students: int = MAX_STUDENTS,
    max_models: int = MAX_MODELS,
    max_runs: int = MAX_RUNS,
) -> tuple[Classroom, str]:
    """A new class run from the teacher's lab, open for joining; returns it and its join link's key."""
    name = check_class_name(name)
    limits = check_limits(max_students=max_students, max_models=max_models, max_runs=max_runs)
    if class_of(home, teacher) is not None:
        raise ClassError("A student's lab cannot run a class; a teacher needs a lab of their own.")
    join_key, class_id = new_key(), secrets.token_hex(16)
    with db.engine(home).begin() as conn:
        conn.execute(
            insert(classes).values(
                id=class_id, name=name, teacher_id=teacher.id, join_key=join_key, created=now_iso(), **limits
            )
        )
    return get_class(home, class_id), join_key


def check_limits(**limits: object) -> dict[str, int]:
    """The limits a teacher asked for, or ClassError naming the first out of range."""
    checked = {}
    for name, value in limits.items():
        low, high = LIMITS[name]
        what = LIMIT_WORDS[name]
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or not low <= int(value) <= high:
            raise ClassError(f"The limit of {what} must be a whole number from {low} to {high}.")
        checked[name] = int(value)
    return checked


def get_class(home: Path, class_id: str) -> Classroom:
    with db.engine(home).connect() as conn:
        row = conn.execute(select(classes).where(classes.c.id == class_id)).first()
    if row is None:
        raise ClassError("This class no longer exists.")
    return _room(row)


def classes_taught(home: Path, teacher: Workspace) -> list[Classroom]:
    """The classes run from this lab, newest first."""
    query = select(classes).where(classes.c.teacher_id == teacher.id).order_by(classes.c.created.desc())
    with db.engine(home).connect() as conn:
        return [_room(row) for row in conn.execute(query)]


def new_join_key(home: Path, room: Classroom) -> str:
    """A new join link for the class: the old one stops working (it was shared too widely, say)."""
    join_key = new_key()
    with db.engine(home).begin() as conn:
        conn.execute(update(classes).where(classes.c.id == room.id).values(join_key=join_key))
    return join_key


def set_joining(home: Path, room: Classroom, open_: bool) -> None:
    with db.engine(home).begin() as conn:
        conn.execute(update(classes).where(classes.c.id == room.id).values(joining_open=int(bool(open_))))


def set_limits(home: Path, room: Classroom, max_students: int, max_models: int, max_runs: int | None = None) -> None:
    limits = check_limits(
        max_students=max_students, max_models=max_models, max_runs=room.max_runs if max_runs is None else max_runs
    )
    with db.engine(home).begin() as conn:
        conn.execute(update(classes).where(classes.c.id == room.id).values(**limits))


def share_model(home: Path, room: Classroom, name: str | None) -> None:
    """Show one of the teacher's own models in every student's pickers, read-only (None: share none)."""
    if name is not None:
        with db.engine(home).connect() as conn:
            owned = conn.execute(
                select(models.c.name).where(models.c.workspace_id == room.teacher.id, models.c.name == name)
            ).first()
        if owned is None:
            raise ClassError(f"You have no model named {name!r} to share; train one on the Train page first.")
    with db.engine(home).begin() as conn:
        conn.execute(update(classes).where(classes.c.id == room.id).values(shared_model=name))


def members(home: Path, room: Classroom) -> list[Member]:
    """The roster, in the order students joined, with what each has saved and when each was last seen."""
    n_drawings = (
        select(func.count())
        .select_from(drawings)
        .where(drawings.c.workspace_id == class_members.c.workspace_id)
        .scalar_subquery()
    )
    n_models = (
        select(func.count())
        .select_from(models)
        .where(models.c.workspace_id == class_members.c.workspace_id)
        .scalar_subquery()
    )
    query = (
        select(class_members.c.workspace_id, class_members.c.nickname, class_members.c.joined)
        .add_columns(workspaces.c.last_seen, n_drawings.label("drawings"), n_models.label("models"))
        .join(workspaces, workspaces.c.id == class_members.c.workspace_id)
        .where(class_members.c.class_id == room.id)
        .order_by(class_members.c.joined, class_members.c.nickname)
    )
    with db.engine(home).connect() as conn:
        return [Member(Workspace(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in conn.execute(query)]


def class_drawings(home: Path, room: Classroom) -> ClassDrawings:
    """Every drawing the class's students saved, oldest first, with whose it is."""
    c = drawings.c
    query = (
        select(c.id, c.image, c.label, c.workspace_id, class_members.c.nickname)
        .join(class_members, class_members.c.workspace_id == c.workspace_id)
        .where(class_members.c.class_id == room.id)
        .order_by(c.id)
    )
    with db.engine(home).connect() as conn:
        rows = conn.execute(query).all()
    x = np.frombuffer(b"".join(r[1] for r in rows), np.uint8).reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
    return ClassDrawings(
        x=x,
        y=np.array([r[2] for r in rows], dtype=np.int64),
        ids=np.array([r[0] for r in rows], dtype=np.int64),
        owners=[r[3] for r in rows],
        nicknames=[r[4] for r in rows],
    )


def remove_drawing(home: Path, room: Classroom, drawing_id: int) -> bool:
    """Delete one drawing of one of the class's students; False (nothing deleted) for any other drawing."""
    in_class = select(class_members.c.workspace_id).where(class_members.c.class_id == room.id)
    with db.engine(home).begin() as conn:
        gone = conn.execute(
            delete(drawings).where(drawings.c.id == int(drawing_id), drawings.c.workspace_id.in_(in_class))
        ).rowcount
    return gone == 1


def remove_student(home: Path, room: Classroom, student: Workspace) -> bool:
    """Delete a student's lab with everything in it; False (nothing deleted) if they are not in this class."""
    found = class_of(home, student)
    if found is None or found[0].id != room.id:
        return False
    db.delete_workspace(home, student)
    return True


# --- the students' side -----------------------------------------------------------------------


def class_for_join(home: Path, join_key: object) -> Classroom | None:
    """The class a join link's key opens, or None (a malformed key is refused before any lookup)."""
    if not is_key(join_key):
        return None
    with db.engine(home).connect() as conn:
        row = conn.execute(select(classes).where(classes.c.join_key == join_key)).first()
    return None if row is None else _room(row)


def join(home: Path, room: Classroom, nickname: object) -> tuple[Workspace, str]:
    """A new lab in the class for a student under `nickname`; returns it and its key. ClassError when joining is
    closed, the class is full or the nickname is taken: then nothing is created."""
    nickname = check_nickname(nickname)
    key = new_key()
    student = Workspace(secrets.token_hex(16))
    now = now_iso()
    try:
        with db.engine(home).begin() as conn:
            # the class's row first: its write lock makes two joins at once count one after the other
            conn.execute(update(classes).where(classes.c.id == room.id).values(joining_open=classes.c.joining_open))
            row = conn.execute(select(classes).where(classes.c.id == room.id)).first()
            if row is None:
                raise ClassError("This class no longer exists.")
            if not row.joining_open:
                raise ClassError(f"Joining {row.name!r} is closed; ask your teacher to open it again.")
            count = conn.execute(
                select(func.count()).select_from(class_members).where(class_members.c.class_id == room.id)
            ).scalar_one()
            if count >= row.max_students:
                raise ClassError(f"{row.name!r} is full: it has {count} students, its limit; ask your teacher.")
            conn.execute(insert(workspaces).values(id=student.id, key_hash=key_hash(key), created=now, last_seen=now))
            conn.execute(
                insert(class_members).values(workspace_id=student.id, class_id=room.id, nickname=nickname, joined=now)
            )
    except IntegrityError:
        raise ClassError(
            f"Someone in this class is already called {nickname!r}; add a letter or a number to yours."
        ) from None
    return student, key


def class_of(home: Path, ws: Workspace) -> tuple[Classroom, str] | None:
    """(class, nickname) if `ws` is a student's lab in a class, else None."""
    if ws.id in db.KEPT:  # the local lab and the bundled model's are never in a class: no query
        return None
    query = (
        select(classes, class_members.c.nickname)
        .join(class_members, class_members.c.class_id == classes.c.id)
        .where(class_members.c.workspace_id == ws.id)
    )
    with db.engine(home).connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else (_room(row), row.nickname)


def class_model(home: Path, ws: Workspace) -> tuple[Workspace, str] | None:
    """(teacher's workspace, model name) of the model the student's class shares, or None."""
    found = class_of(home, ws)
    if found is None or found[0].shared_model is None:
        return None
    return found[0].teacher, found[0].shared_model


def model_room(home: Path, ws: Workspace) -> str | None:
    """None if a student may keep one more model; else the one sentence that says why not."""
    found = class_of(home, ws)
    if found is None:
        return None
    with db.engine(home).connect() as conn:
        own = conn.execute(select(func.count()).select_from(models).where(models.c.workspace_id == ws.id)).scalar_one()
    limit = found[0].max_models
    if own >= limit:
        return f"Your class allows {limit} models per student and you have {own}; delete one on the Train page to train another."
    return None
