"""The queue task's body: train one queued run in a child process, and keep the store told.

    standby = Standby(home)              # one per worker thread: a child with TensorFlow imported, waiting
    supervise(home, run_id, standby)     # claim the run, train it, write its events, pass on a Stop, settle it

The supervisor is thin: the child (`python -m training standby` -> `fit ... --json`, in its own process group,
under `nice`) does all the learning and saves the model into its lab's registry itself, atomically. Here we
only read its JSON lines into the store (model/runs.py) every FLUSH_S seconds with a heartbeat, send it the
Stop the person asked for, and write how the run ended. TensorFlow never runs in this process: a worker may be
a thread of the Streamlit server. If this process dies, the child sees its parent go, stops and saves nothing
(`--orphan discard`), and model.runs.reap marks the run failed once its heartbeat is stale.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import sys
import threading
from pathlib import Path

from sqlalchemy.exc import OperationalError

from model import runs
from model.db import patiently
from model.spec import ArchSpec
from training.config import TrainConfig
from training.runner import RunState, _Child, _log_failure, fit_args, saved_result

FLUSH_S = 0.5  # how often the child's events reach the store: the page polls every second
STOP_SIGNAL = {"keep": signal.SIGTERM, "discard": signal.SIGUSR1}  # what the child does with each (training/__main__)
EXIT_WAIT_S = 20  # how long a worker's exit waits for its runs to save their best weights

_live: dict[str, _Child] = {}  # run id -> its child, for the runs this process supervises now
_live_lock = threading.Lock()
_settled = threading.Condition(_live_lock)


def worker_name() -> str:
    """host:pid, so a run's row says which worker took it."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Standby:
    """One warmed-up child at a time for one worker thread: a run starts without waiting for TensorFlow."""

    def __init__(self, home: Path, enabled: bool = True):
        self.home = Path(home)
        self.enabled = enabled
        self._child: _Child | None = None

    def warm(self) -> None:
        if self.enabled and (self._child is None or not self._child.alive()):
            self._child = _Child(self.home)

    def take(self) -> _Child:
        """The waiting child (or a fresh one if it died or there is none); the next is warmed after the run."""
        child, self._child = self._child, None
        if child is None or not child.alive():
            child = _Child(self.home)
        return child

    def close(self) -> None:
        if self._child is not None:
            self._child.close()
            self._child = None


def supervise(home: Path, run_id: str, standby: Standby) -> str | None:
    """Train queued run `run_id` to its end; returns how it ended (None if it was cancelled before we took it)."""
    run = patiently(lambda: runs.claim(home, run_id, worker_name()))  # a task is taken once: not lost to a restart
    if run is None:
        return None
    arch, cfg = ArchSpec.from_dict(run.arch), TrainConfig.from_dict(run.train)
    state = RunState(
        status="starting",
        name=run.name,
        owner=run.owner,
        workspace=run.workspace,
        arch=arch,
        cfg=cfg,
        epochs=cfg.epochs,
        started=run.started,
    )
    try:
        child = standby.take()
        child.send(fit_args(run.name, arch, cfg, workspace=run.workspace, orphan="discard"))
    except OSError as error:
        runs.finish(home, run_id, "failed", error=f"The training process could not start: {error}.")
        return "failed"
    with _live_lock:
        _live[run_id] = child
    try:
        return _follow(home, run_id, child, state)
    finally:
        with _live_lock:
            _live.pop(run_id, None)
            _settled.notify_all()


def _follow(home: Path, run_id: str, child: _Child, state: RunState) -> str:
    """Flush the child's events into the store until it exits, passing on a Stop; then settle the run."""
    pending: list[dict] = []
    lock = threading.Lock()
    reader = threading.Thread(target=_read, args=(child, state, pending, lock), daemon=True)
    reader.start()
    seq, unsent, start, latest = 0, [], None, None  # what the store has not taken yet (it may be restarting)
    gone = False
    while True:
        reader.join(FLUSH_S)
        ended = not reader.is_alive()
        with lock:
            events, pending[:] = list(pending), []
            status, progress, elapsed = state.status, state.progress, state.fit_elapsed
        first, last = _snapshots(events)
        start, latest = first or start, last or latest
        unsent += [e for e in events if e.get("event") in ("batch", "epoch", "result")]
        try:
            choice = runs.record(home, run_id, unsent, seq, status, progress, elapsed, start, latest)
        except OperationalError as error:  # the database is away (a restart): keep everything for the next flush
            _say_once(f"digitlab: cannot write run {run_id} to the store ({error.__class__.__name__}); retrying")
            if not ended:
                continue
            choice = None
        else:
            seq, unsent, start, latest = seq + len(unsent), [], None, None
        if choice == runs.GONE:  # reaped, or its lab deleted: the store has its end already; save nothing
            gone = True
            child.signal(STOP_SIGNAL["discard"])
            choice = None
        if choice in STOP_SIGNAL and state.stop_choice != choice and not ended:
            with lock:
                state.stop_choice = choice
                if state.result is None:  # not saved yet: the child can still honour it
                    state.status = "stopping"
                    child.signal(STOP_SIGNAL[choice])
        if ended:
            break
    returncode = child.process.wait()
    stderr = child.stderr_text()
    child.stderr.close()
    state.finish(returncode, stderr, patiently(lambda: saved_result(home, state)))
    if state.status == "failed":
        _log_failure(state, returncode, stderr)
    if gone:
        return state.status
    if unsent:  # the last events, if the store was away at the end
        patiently(lambda: runs.record(home, run_id, unsent, seq, "evaluating", 1.0, state.fit_elapsed, start, latest))
    patiently(lambda: runs.finish(home, run_id, state.status, state.result, state.error, state.stderr_tail or None))
    return state.status


def _say_once(message: str, _said: set[str] = set()) -> None:  # noqa: B006 - a process-wide memo on purpose
    if message not in _said:
        _said.add(message)
        print(message, file=sys.stderr, flush=True)


def _read(child: _Child, state: RunState, pending: list[dict], lock: threading.Lock) -> None:
    """Reader thread: the child's JSON lines into the state and the list the supervisor flushes."""
    for line in child.process.stdout:
        try:
            event = json.loads(line)
        except ValueError:
            continue  # not ours (a library printing to stdout)
        if event.get("event") == "ready":
            continue
        with lock:
            state.apply(event)
            pending.append(event)


def _snapshots(events: list[dict]) -> tuple[dict | None, dict | None]:
    """The first run's starting snapshot (with the panel's images) and the newest snapshot among `events`."""
    start = latest = None
    for event in events:
        if event.get("event") != "snapshot":
            continue
        body = {k: v for k, v in event.items() if k != "event"}
        if "panel_images" in body:
            start = body
        latest = {k: v for k, v in body.items() if k not in ("panel_images", "panel_labels")}
    return start, latest


@atexit.register
def shutdown(timeout: float = EXIT_WAIT_S) -> None:
    """This process is exiting (a server's Ctrl-C, a worker's stop): its runs stop and keep their best weights,
    and we wait for them to say so in the store. A `kill -9` skips this: then model.runs.reap settles them."""
    with _live_lock:
        for child in _live.values():
            child.signal(signal.SIGTERM)
        _settled.wait_for(lambda: not _live, timeout=timeout)
