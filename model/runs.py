"""Training runs in the store: what the queue, its workers and the Train page say to each other.

    run = submit(home, ws, name, arch, cfg, owner)   # a queued run (RunRefused: one sentence)
    claim(home, run.id, "host:pid")                  # a worker takes it (None if it was cancelled meanwhile)
    record(home, run.id, events, ...)                # the worker writes the child's events and progress
    latest(home, ws) / get(home, ws, run_id) / events_since(home, ws, run_id, seq)   # what the page reads
    ask_stop(home, ws, run_id, "keep") / cancel(home, ws, run_id) / dismiss(home, ws, run_id)
    reap(home)                                       # runs whose worker went silent: failed, in one sentence

Every question the page asks takes the workspace it asks for: another lab's run is never returned, only
counted (queue_counts, ahead). Only portable SQLAlchemy Core, as in model/db.py, for SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import and_, delete, func, insert, or_, select, update

from model import db
from model.db import class_members, classes, run_events, runs, workspaces
from model.spec import ArchSpec
from model.workspace import Workspace

QUEUED = "queued"
RUNNING = ("starting", "training", "evaluating", "stopping")  # a worker has it
ACTIVE = (QUEUED, *RUNNING)  # it counts against the lab's and the class's limits
ENDED = ("done", "stopped", "discarded", "failed", "cancelled")
STALE_S = 30  # a running run silent this long has lost its worker (reap): failed well within a minute
PER_WORKSPACE = 1  # runs a lab may have queued or training at once
GONE = "gone"  # record(): the run is no longer running in the store
LOST = (
    "The worker training this run stopped answering (its process or machine went away); nothing was saved. "
    "Press Train to run it again."
)


class RunRefused(ValueError):
    """Train cannot queue this run; the message is one sentence for the person who pressed it."""


@dataclass(frozen=True)
class Run:
    """One press of Train, as the store has it. `arch` and `train` are the dicts the child was given."""

    id: str
    workspace: Workspace
    name: str
    arch: dict
    train: dict
    owner: str  # the browser session that pressed Train
    status: (
        str  # queued | starting | training | evaluating | stopping | done | stopped | discarded | failed | cancelled
    )
    stop: str | None  # what the person asked for: keep | discard | cancel
    queued: float  # Unix times
    started: float | None
    finished: float | None
    heartbeat: float | None
    progress: float  # 0..1 of all batches
    fit_elapsed: float  # seconds inside fit
    events: int  # how many events events_since can return
    result: dict | None
    error: str | None
    stderr_tail: str | None
    dismissed: bool

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def left(self, typical: float) -> float:
        """Seconds until it ends, from its own pace once it has one, else `typical` (a whole run's seconds)."""
        if self.status == QUEUED:
            return typical
        if self.progress > 0:
            return self.fit_elapsed * (1 - self.progress) / self.progress
        return typical


def _run(row) -> Run:
    return Run(
        id=row.id,
        workspace=Workspace(row.workspace_id),
        name=row.name,
        arch=json.loads(row.arch),
        train=json.loads(row.train),
        owner=row.owner,
        status=row.status,
        stop=row.stop,
        queued=row.queued,
        started=row.started,
        finished=row.finished,
        heartbeat=row.heartbeat,
        progress=row.progress,
        fit_elapsed=row.fit_elapsed,
        events=row.events,
        result=None if row.result is None else json.loads(row.result),
        error=row.error,
        stderr_tail=row.stderr_tail,
        dismissed=bool(row.dismissed),
    )


_COLUMNS = [c for c in runs.c if c.name not in ("learning", "learning_start")]  # the snapshots are read apart


# --- the page's side ---------------------------------------------------------------------------


def submit(home: Path, ws: Workspace, name: str, arch: ArchSpec, train: dict, owner: str = "") -> Run:
    """Queue a run of `name` for `ws`. Refused, in one sentence, if the lab already has one queued or training,
    or its class has as many as the teacher allows. The lab's row (and its class's) is locked first, so two
    presses at once cannot both slip under a limit."""
    run_id = secrets.token_hex(16)
    now = time.time()
    with db.engine(home).begin() as conn:
        conn.execute(update(workspaces).where(workspaces.c.id == ws.id).values(last_seen=db.now_iso()))
        mine = conn.execute(
            select(func.count()).where(runs.c.workspace_id == ws.id, runs.c.status.in_(ACTIVE))
        ).scalar_one()
        if mine >= PER_WORKSPACE:
            raise RunRefused(
                "Your lab already has a run queued or training; wait for it to finish, or cancel it, then press Train."
            )
        room = conn.execute(
            select(classes.c.id, classes.c.max_runs)
            .select_from(class_members.join(classes, classes.c.id == class_members.c.class_id))
            .where(class_members.c.workspace_id == ws.id)
        ).first()
        if room is not None:
            conn.execute(update(classes).where(classes.c.id == room.id).values(max_runs=classes.c.max_runs))  # lock
            in_class = select(class_members.c.workspace_id).where(class_members.c.class_id == room.id)
            teacher = select(classes.c.teacher_id).where(classes.c.id == room.id)
            going = conn.execute(
                select(func.count()).where(
                    runs.c.status.in_(ACTIVE), or_(runs.c.workspace_id.in_(in_class), runs.c.workspace_id.in_(teacher))
                )
            ).scalar_one()
            if going >= room.max_runs:
                raise RunRefused(
                    f"Your class already has {going} runs queued or training, as many as your teacher allows at once; "
                    "press Train again when one has finished."
                )
        conn.execute(update(runs).where(runs.c.workspace_id == ws.id, runs.c.status.in_(ENDED)).values(dismissed=1))
        conn.execute(
            insert(runs).values(
                id=run_id,
                workspace_id=ws.id,
                name=name,
                arch=json.dumps(arch.to_dict()),
                train=json.dumps(train),
                owner=owner,
                status=QUEUED,
                queued=now,
            )
        )
    return get(home, ws, run_id)


def withdraw(home: Path, run_id: str) -> None:
    """Undo a submit whose task never reached the queue: the run leaves no trace."""
    with db.engine(home).begin() as conn:
        conn.execute(delete(runs).where(runs.c.id == run_id, runs.c.status == QUEUED))


def get(home: Path, ws: Workspace, run_id: str) -> Run | None:
    """`ws`'s run `run_id`, or None (another lab's run is None too)."""
    with db.engine(home).connect() as conn:
        row = conn.execute(select(*_COLUMNS).where(runs.c.id == run_id, runs.c.workspace_id == ws.id)).first()
    return None if row is None else _run(row)


def latest(home: Path, ws: Workspace) -> Run | None:
    """The lab's newest run that its page still shows: queued, training, or ended and not yet closed."""
    query = (
        select(*_COLUMNS)
        .where(runs.c.workspace_id == ws.id, or_(runs.c.status.in_(ACTIVE), runs.c.dismissed == 0))
        .order_by(runs.c.queued.desc())
        .limit(1)
    )
    with db.engine(home).connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else _run(row)


def events_since(home: Path, ws: Workspace, run_id: str, seq: int = 0) -> list[dict]:
    """`ws`'s run's batch and epoch events from number `seq` on, in order (the page keeps what it has read)."""
    mine = select(runs.c.id).where(runs.c.id == run_id, runs.c.workspace_id == ws.id)
    query = select(run_events.c.body).where(run_events.c.run_id.in_(mine), run_events.c.seq >= seq)
    with db.engine(home).connect() as conn:
        return [json.loads(body) for body in conn.execute(query.order_by(run_events.c.seq)).scalars()]


def learning(home: Path, ws: Workspace, run_id: str) -> tuple[dict | None, dict | None]:
    """`ws`'s run's first and latest snapshot events (weights and the test panel's guesses), or None."""
    query = select(runs.c.learning_start, runs.c.learning).where(runs.c.id == run_id, runs.c.workspace_id == ws.id)
    with db.engine(home).connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None, None
    return tuple(None if text is None else json.loads(text) for text in row)


def ahead(home: Path, run: Run) -> int:
    """How many runs (anyone's) were queued before this one and have not started: its place is this plus one."""
    with db.engine(home).connect() as conn:
        return conn.execute(
            select(func.count()).where(
                runs.c.status == QUEUED,
                or_(runs.c.queued < run.queued, and_(runs.c.queued == run.queued, runs.c.id < run.id)),
            )
        ).scalar_one()


def waiting_since(home: Path, before: float) -> list[str]:
    """The ids of the runs (anyone's) queued before `before` (time.time()) and not yet taken, oldest first."""
    with db.engine(home).connect() as conn:
        return list(
            conn.execute(
                select(runs.c.id).where(runs.c.status == QUEUED, runs.c.queued < before).order_by(runs.c.queued)
            ).scalars()
        )


def queue_counts(home: Path) -> tuple[int, int]:
    """(queued, training) over the whole server: what a page may say of other labs' runs."""
    with db.engine(home).connect() as conn:
        rows = dict(
            conn.execute(
                select(runs.c.status, func.count()).where(runs.c.status.in_(ACTIVE)).group_by(runs.c.status)
            ).all()
        )
    return rows.get(QUEUED, 0), sum(rows.get(s, 0) for s in RUNNING)


def wait_estimate(home: Path, run: Run, workers: int = 1) -> float | None:
    """Seconds until a queued run starts: what is left of the runs ahead of it and going, shared by the workers.
    A run that has not started counts as long as the server's typical run lately; None with nothing to go by."""
    typical = typical_seconds(home)
    with db.engine(home).connect() as conn:
        rows = conn.execute(
            select(*_COLUMNS).where(
                or_(
                    runs.c.status.in_(RUNNING),
                    and_(
                        runs.c.status == QUEUED,
                        or_(runs.c.queued < run.queued, and_(runs.c.queued == run.queued, runs.c.id < run.id)),
                    ),
                )
            )
        ).all()
    left = [_run(row) for row in rows]
    if typical is None and any(r.status == QUEUED or r.progress <= 0 for r in left):
        return None  # a run with no pace yet, and no finished run to go by
    return sum(r.left(typical or 0.0) for r in left) / max(1, workers)


def typical_seconds(home: Path, last: int = 20) -> float | None:
    """The median wall time, from taken to ended, of the server's last finished runs (None before any)."""
    query = (
        select(runs.c.finished - runs.c.started)
        .where(runs.c.status.in_(("done", "stopped")), runs.c.started.is_not(None), runs.c.finished.is_not(None))
        .order_by(runs.c.finished.desc())
        .limit(last)
    )
    with db.engine(home).connect() as conn:
        seconds = sorted(conn.execute(query).scalars())
    return seconds[len(seconds) // 2] if seconds else None


def ask_stop(home: Path, ws: Workspace, run_id: str, choice: str) -> bool:
    """Ask the worker to stop `ws`'s run after its batch: keep its best weights so far, or discard. A discard may
    replace a keep not yet honoured. False if the run is not `ws`'s or is not training."""
    if choice not in ("keep", "discard"):
        raise ValueError(f"a stop is 'keep' or 'discard', not {choice!r}.")
    with db.engine(home).begin() as conn:
        return (
            conn.execute(
                update(runs)
                .where(runs.c.id == run_id, runs.c.workspace_id == ws.id, runs.c.status.in_(RUNNING))
                .values(stop=choice)
            ).rowcount
            == 1
        )


def cancel(home: Path, ws: Workspace, run_id: str) -> bool:
    """Take `ws`'s queued run out of the queue (its task finds it cancelled and does nothing). False if it is
    not `ws`'s, or a worker has taken it meanwhile (then it can only be stopped)."""
    with db.engine(home).begin() as conn:
        return (
            conn.execute(
                update(runs)
                .where(runs.c.id == run_id, runs.c.workspace_id == ws.id, runs.c.status == QUEUED)
                .values(status="cancelled", stop="cancel", finished=time.time())
            ).rowcount
            == 1
        )


def dismiss(home: Path, ws: Workspace, run_id: str) -> None:
    """Close an ended run's panel on the lab's Train page (the run stays in the store)."""
    with db.engine(home).begin() as conn:
        conn.execute(
            update(runs)
            .where(runs.c.id == run_id, runs.c.workspace_id == ws.id, runs.c.status.in_(ENDED))
            .values(dismissed=1)
        )


# --- the worker's side -------------------------------------------------------------------------


def claim(home: Path, run_id: str, worker: str) -> Run | None:
    """A worker takes a queued run: it is "starting" from now on. None if it was cancelled (or taken) meanwhile."""
    now = time.time()
    with db.engine(home).begin() as conn:
        taken = conn.execute(
            update(runs)
            .where(runs.c.id == run_id, runs.c.status == QUEUED)
            .values(status="starting", started=now, heartbeat=now, worker=worker)
        ).rowcount
        row = conn.execute(select(*_COLUMNS).where(runs.c.id == run_id)).first()
    return _run(row) if taken == 1 else None


def record(
    home: Path,
    run_id: str,
    events: list[dict],
    first_seq: int,
    status: str,
    progress: float,
    fit_elapsed: float,
    learning_start: dict | None = None,
    learning: dict | None = None,
) -> str | None:
    """Write what the child printed since the last call (events numbered from `first_seq`), the run's status and
    pace, and a heartbeat. Returns the stop the person asked for (None: none), for the worker to pass on, or
    GONE if the run is no longer running in the store (reaped, or its lab deleted): the worker discards it."""
    values = {
        "heartbeat": time.time(),
        "progress": progress,
        "fit_elapsed": fit_elapsed,
        "events": first_seq + len(events),
    }
    if learning_start is not None:
        values["learning_start"] = json.dumps(learning_start)
    if learning is not None:
        values["learning"] = json.dumps(learning)
    if status not in RUNNING:
        raise ValueError(f"a running run is one of {RUNNING}, not {status!r}.")
    with db.engine(home).begin() as conn:
        if conn.execute(select(runs.c.status).where(runs.c.id == run_id)).scalar() not in RUNNING:
            return GONE
        if events:
            conn.execute(
                insert(run_events),
                [{"run_id": run_id, "seq": first_seq + i, "body": json.dumps(e)} for i, e in enumerate(events)],
            )
        conn.execute(update(runs).where(runs.c.id == run_id).values(**values, status=status))
        return conn.execute(select(runs.c.stop).where(runs.c.id == run_id)).scalar()


def finish(
    home: Path,
    run_id: str,
    status: str,
    result: dict | None = None,
    error: str | None = None,
    stderr_tail: str | None = None,
) -> None:
    """The run has ended: done, stopped (saved early), discarded or failed."""
    if status not in ENDED:
        raise ValueError(f"a run ends as one of {ENDED}, not {status!r}.")
    with db.engine(home).begin() as conn:
        conn.execute(
            update(runs)
            # a run reaped while its worker was only cut off from the database ends as it really did
            .where(
                runs.c.id == run_id,
                or_(runs.c.status.in_(RUNNING), and_(runs.c.status == "failed", runs.c.error == LOST)),
            )
            .values(
                status=status,
                finished=time.time(),
                result=None if result is None else json.dumps(result),
                error=error,
                stderr_tail=stderr_tail,
                progress=1.0 if status == "done" else runs.c.progress,
            )
        )


def reap(home: Path, stale: float = STALE_S) -> int:
    """Mark failed every run whose worker has been silent for `stale` seconds (killed, or its machine lost);
    returns how many. Anyone may call it: the page and every worker do, now and then."""
    with db.engine(home).begin() as conn:
        return conn.execute(
            update(runs)
            .where(runs.c.status.in_(RUNNING), runs.c.heartbeat < time.time() - stale)
            .values(status="failed", finished=time.time(), error=LOST)
        ).rowcount
