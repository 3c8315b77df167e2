"""The training queue: Huey carries run ids from whoever presses Train to whichever worker is free.

    q = TrainQueue(home, ws)             # what the Train page holds: one lab's view of the queue
    q.start(name, arch, cfg, owner)      # a queued run (RunRefused: one sentence); a worker takes it in turn
    q.snapshot()                         # RunState of the lab's run: queued (place, wait), training, or ended
    q.stop(keep=True) / q.cancel() / q.dismiss()
    start_embedded(home, workers)        # a server's own workers: threads of its process (DIGITLAB_WORKERS)
    python -m training worker [--workers N]   # a worker process, here or on any machine that reaches the store

The queue's storage is SqliteHuey beside the data directory's database, or PostgresHuey in the database that
DIGITLAB_DATABASE_URL names, so a worker on another machine needs nothing but that URL. A task carries only a
run id; the run itself (model/runs.py) is a row, which is what the page reads. Each worker thread runs
training/supervise.py, which starts `training fit` in a child process: TensorFlow never runs in a worker, and
nothing is forked from a process that has imported it.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from huey import PostgresHuey, SqliteHuey
from huey.api import Huey
from huey.consumer import Consumer
from sqlalchemy.exc import DBAPIError, OperationalError

from model import runs
from model.db import database_url
from model.registry import data_home
from model.runs import RunRefused
from model.spec import ArchSpec
from model.workspace import Workspace
from training.config import TrainConfig
from training.runner import RunState
from training.supervise import Standby, shutdown, supervise

QUEUE_NAME = "digitlab"
QUEUE_FILE = "queue.sqlite3"  # SqliteHuey's file in the data directory
POLL_S = 0.1, 0.5  # a free worker looks at a SQLite queue this often (first, at most): Train -> start stays quick
REAP_EVERY_S = 10  # how often a worker or a page looks for runs whose worker went silent
LOST_TASK_S = 120  # a run queued this long whose task is in the queue no more is put back (requeue_lost); more
# than TrainQueue.start can take to enqueue (two tries, each waiting up to 30 s for SQLite's lock)
DEFAULT_WORKERS = 1  # a server keeps a core for drawing; a worker machine may take 2 (docs/benchmarks.md, #28)

__all__ = ["RunRefused", "TrainQueue", "queue_for", "requeue_lost", "start_embedded", "workers_setting"]


def workers_setting() -> int:
    """DIGITLAB_WORKERS: how many runs this server trains at once itself; 0 leaves training to workers elsewhere."""
    text = os.environ.get("DIGITLAB_WORKERS", str(DEFAULT_WORKERS)).strip()
    if not text.isdigit():
        raise ValueError(f"DIGITLAB_WORKERS must be a whole number of workers, 0 or more, not {text!r}.")
    return int(text)


# --- the queue and its one task -------------------------------------------------------------

_QUEUES: dict[tuple[Path, str | None], tuple[Huey, object]] = {}  # (home, database URL) -> queue, task
_QUEUES_LOCK = threading.Lock()
_local = threading.local()  # each worker thread's Standby


def queue_for(home: Path | None = None) -> Huey:
    """The Huey queue of `home`'s store (one per process), with its task registered."""
    return _queue(home)[0]


def _queue(home: Path | None) -> tuple[Huey, object]:
    home, url = Path(home or data_home()).resolve(), database_url()
    with _QUEUES_LOCK:
        if (home, url) not in _QUEUES:
            if url and url.startswith("postgresql"):
                huey = PostgresHuey(QUEUE_NAME, dsn=url.replace("+psycopg", ""), results=False)
            else:
                home.mkdir(parents=True, exist_ok=True)
                # timeout: how long SQLite waits for another writer's lock ("database is locked" otherwise)
                huey = SqliteHuey(QUEUE_NAME, filename=str(home / QUEUE_FILE), results=False, timeout=30)
            task = huey.task(name="train")(_task_for(home))
            huey.on_startup()(lambda: _standby(home).warm())
            huey.on_shutdown()(lambda: _standby(home).close())
            _QUEUES[home, url] = huey, task
        return _QUEUES[home, url]


def _task_for(home: Path):
    def train(run_id: str) -> None:
        try:
            runs.reap(home)
        except OperationalError:
            pass  # the database is away: the reaper thread tries again
        supervise(home, run_id, _standby(home))
        _standby(home).warm()  # the next run starts warm too

    return train


def _standby(home: Path) -> Standby:
    if getattr(_local, "standby", None) is None:
        _local.standby = Standby(home, enabled=os.environ.get("DIGITLAB_TRAIN_STANDBY", "1") != "0")
    return _local.standby


def enqueue(home: Path, run_id: str, priority: int = 0) -> None:
    """Put run `run_id` on the queue: the first free worker takes it (the highest priority first, then in order).
    Tried twice: a connection that a database restart dropped is only known to be broken once used, and Huey
    opens a new one on the next try."""
    task = _queue(home)[1]
    try:
        task(run_id, priority=priority)
    except Exception as error:
        print(f"digitlab: the queue refused run {run_id} ({error}); trying again", file=sys.stderr, flush=True)
        task(run_id, priority=priority)


def requeue_lost(home: Path, older_than: float | None = None) -> list[str]:
    """Put back on the queue every run that has waited `older_than` seconds (default LOST_TASK_S) in the store but
    whose task the queue no longer holds: a worker took it, then lost the database for longer than it waits
    (db.patiently) before it could claim the run. Returns their ids. They go before the runs queued after them,
    as their page has said all along. A task put back needlessly (one that a worker is claiming right now) costs
    nothing: a run is claimed once, and its second task does nothing."""
    waiting = runs.waiting_since(home, time.time() - (LOST_TASK_S if older_than is None else older_than))
    if not waiting:
        return []
    held = {task.args[0] for task in queue_for(home).pending() if task.args}
    lost = [run_id for run_id in waiting if run_id not in held]
    for run_id in lost:
        print(f"digitlab: run {run_id} was waiting with no task in the queue; putting it back", flush=True)
        enqueue(home, run_id, priority=1)
    return lost


# --- workers --------------------------------------------------------------------------------


class _Worker(Consumer):
    """`python -m training worker`'s consumer: Ctrl-C or SIGTERM stops the runs going first, keeping their best
    weights (their children are in sessions of their own: a terminal's Ctrl-C never reaches them)."""

    def stop(self, graceful: bool = False) -> None:
        shutdown()
        super().stop(graceful)


class _Embedded(Consumer):
    """Huey's consumer without its signal handlers: inside Streamlit, the server owns the signals."""

    def _set_signal_handlers(self) -> None:
        pass


_EMBEDDED: dict[Path, Consumer] = {}


def start_embedded(home: Path | None = None, workers: int | None = None) -> int:
    """Start this process's own workers for `home`'s queue, once; returns how many run (0: none, by setting)."""
    home = Path(home or data_home()).resolve()
    workers = workers_setting() if workers is None else workers
    with _QUEUES_LOCK:
        if home in _EMBEDDED:
            return workers
        if workers == 0:  # no training here: the workers elsewhere look for lost runs, as does a watching page
            return 0
    consumer = consumer_for(home, workers, _Embedded)
    with _QUEUES_LOCK:
        if home in _EMBEDDED:
            return workers
        _EMBEDDED[home] = consumer
    consumer.start()
    start_reaper(home)
    return workers


def look_after(home: Path) -> None:
    """The reaper's pass: runs whose worker went silent end as failed, runs whose task was lost go back."""
    runs.reap(home)
    requeue_lost(home)


def start_reaper(home: Path) -> threading.Thread:
    """A thread that marks failed, every REAP_EVERY_S, the runs whose worker went silent (model.runs.reap), so a
    killed worker's run ends within a minute even when no page is watching it; and puts back on the queue the
    runs whose task was lost (requeue_lost), so no run waits for ever."""

    def reap_forever() -> None:
        while True:
            try:
                look_after(home)
            except Exception as error:  # the database away for a moment (a restart): try again next time
                print(f"digitlab: could not look for lost runs: {error}", flush=True)
            time.sleep(REAP_EVERY_S)

    thread = threading.Thread(target=reap_forever, name="digitlab-reaper", daemon=True)
    thread.start()
    return thread


def run_worker(home: Path, workers: int) -> None:
    """`python -m training worker`: take runs from `home`'s queue (or DIGITLAB_DATABASE_URL's) until stopped
    (Ctrl-C or SIGTERM: the runs going stop, keeping their best weights)."""
    start_reaper(home)
    consumer = consumer_for(home, workers, _Worker)
    print(
        f"digitlab worker: {workers} worker{'s' if workers != 1 else ''} on "
        f"{'PostgreSQL' if database_url() else home / QUEUE_FILE}; Ctrl-C stops",
        flush=True,
    )
    consumer.run()


def consumer_for(home: Path, workers: int, kind: type[Consumer] = Consumer) -> Consumer:
    """A consumer of `home`'s queue with `workers` threads (each supervises one child at a time)."""
    return kind(
        queue_for(home),
        workers=workers,
        worker_type="thread",
        periodic=False,
        initial_delay=POLL_S[0],
        max_delay=POLL_S[1],
        backoff=1.5,
        check_worker_health=False,
    )


def stop_embedded() -> None:
    """Server exit: stop taking runs; a run going on ends as its child does when we are gone."""
    for consumer in list(_EMBEDDED.values()):
        consumer.stop(graceful=False)
    _EMBEDDED.clear()


# --- one lab's view -------------------------------------------------------------------------


@dataclass
class _Folded:
    state: RunState
    seq: int  # events read so far


_FOLDED: dict[str, _Folded] = {}  # run id -> its events folded into a RunState, shared by the pages that watch it
_FOLDED_LOCK = threading.Lock()
_FOLDED_KEEP = 256  # runs kept folded (the oldest go first)
_last_reap = [0.0]


class TrainQueue:
    """The queue as one lab sees it: its own run in full, other labs' runs only as counts."""

    def __init__(self, home: Path, ws: Workspace):
        self.home = Path(home)
        self.ws = ws

    def start(self, name: str, arch: ArchSpec, cfg: TrainConfig, owner: str = "") -> runs.Run:
        """Queue a run; RunRefused (one sentence) at the lab's or the class's limit, or if the queue is down."""
        try:
            run = runs.submit(self.home, self.ws, name, arch, cfg.to_dict(), owner)
        except DBAPIError:  # the database is away for a moment (a restart)
            raise RunRefused("The database is not answering right now; press Train again in a moment.") from None
        try:
            enqueue(self.home, run.id)
        except Exception:  # the queue's storage refused twice (locked, unreachable): nothing stays behind
            runs.withdraw(self.home, run.id)
            raise RunRefused("The training queue is not answering right now; press Train again in a moment.") from None
        return run

    def snapshot(self, learning: bool = False) -> RunState:
        """The lab's latest run as the page shows it (status "idle" if none), with the queue around it;
        with `learning`, its first and latest snapshots of weights and guesses too (the biggest read)."""
        now = time.time()
        if now - _last_reap[0] > REAP_EVERY_S:
            _last_reap[0] = now
            runs.reap(self.home)
        run = runs.latest(self.home, self.ws)
        queued, training = runs.queue_counts(self.home)
        if run is None:
            return RunState(others_queued=queued, others_training=training)
        state = self._fold(run, learning)
        mine = 1 if run.active else 0
        state.others_queued = queued - (mine if run.status == runs.QUEUED else 0)
        state.others_training = training - (mine if run.status in runs.RUNNING else 0)
        if run.status == runs.QUEUED:
            state.ahead = runs.ahead(self.home, run)
            state.wait = runs.wait_estimate(self.home, run, max(1, training))
        return state

    def _fold(self, run: runs.Run, learning: bool) -> RunState:
        with _FOLDED_LOCK:
            folded = _FOLDED.get(run.id)
            if folded is None:
                arch, cfg = ArchSpec.from_dict(run.arch), TrainConfig.from_dict(run.train)
                folded = _Folded(RunState(name=run.name, workspace=run.workspace, arch=arch, cfg=cfg), 0)
                folded.state.epochs = cfg.epochs
                _FOLDED[run.id] = folded
                while len(_FOLDED) > _FOLDED_KEEP:
                    _FOLDED.pop(next(iter(_FOLDED)))
        base = folded.seq
        if base < run.events:
            events = runs.events_since(self.home, self.ws, run.id, base)
            with _FOLDED_LOCK:  # another page may have folded some meanwhile: apply only what it has not
                for event in events[folded.seq - base : run.events - base]:
                    folded.state.apply(event)
                folded.seq = max(folded.seq, min(run.events, base + len(events)))
        start, latest = (
            runs.learning(self.home, self.ws, run.id) if learning and run.status != runs.QUEUED else (None, None)
        )
        with _FOLDED_LOCK:
            s = folded.state
            state = RunState(
                **{
                    **s.__dict__,
                    "history": list(s.history),
                    "trace": list(s.trace),
                    "result": run.result,
                    "status": "stopping"
                    if run.stop in ("keep", "discard") and run.status in runs.RUNNING
                    else run.status,
                    "owner": run.owner,
                    "run_id": run.id,
                    "started": run.started or run.queued,
                    "finished": run.finished,
                    "error": run.error,
                    "stderr_tail": run.stderr_tail or "",
                    "stop_choice": run.stop if run.stop in ("keep", "discard") else None,
                    "learning": latest,
                    "learning_start": start,
                    "fit_elapsed": max(s.fit_elapsed, run.fit_elapsed),
                }
            )
        if run.status == "done" and state.stop_choice == "discard":
            state.late_discard = True
        return state

    # the page's buttons pass the run they were drawn for: a stale tab's press never reaches a newer run
    def stop(self, keep: bool = True, run_id: str | None = None) -> None:
        run_id = run_id or self._latest_id()
        if run_id:
            runs.ask_stop(self.home, self.ws, run_id, "keep" if keep else "discard")

    def cancel(self, run_id: str | None = None) -> bool:
        run_id = run_id or self._latest_id()
        return bool(run_id) and runs.cancel(self.home, self.ws, run_id)

    def dismiss(self, run_id: str | None = None) -> None:
        run_id = run_id or self._latest_id()
        if run_id:
            runs.dismiss(self.home, self.ws, run_id)

    def _latest_id(self) -> str | None:
        run = runs.latest(self.home, self.ws)
        return None if run is None else run.id

    def wait(self, until, timeout: float, every: float = 0.2) -> RunState:
        """Poll snapshot() until `until(state)` holds or `timeout` passes (tests and benches)."""
        deadline = time.monotonic() + timeout
        state = self.snapshot()
        while not until(state) and time.monotonic() < deadline:
            time.sleep(every)
            state = self.snapshot()
        return state
