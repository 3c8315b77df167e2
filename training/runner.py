"""The Train page's background runner: one training run at a time per data directory, in a child process.

    runner = get_runner()                  # one per $DIGITLAB_HOME per server process
    runner.warm_up()                       # start a standby child (TensorFlow imported, MNIST loaded)
    runner.start(name, arch, cfg, owner)   # RunRefused (one sentence) if a run is already going
    state = runner.snapshot()              # RunState: status, epoch/batch progress, history, result, error
    runner.stop(keep=True)                 # within one batch: keep the best weights so far, or discard

Why a child process (`python -m training standby` -> `fit ... --json`, under `nice`, with a
thread budget): the Streamlit server keeps its GIL and a core for drawing, and a server crash
cannot corrupt anything, because the registry writes files atomically. Why a standby: importing
TensorFlow takes seconds; a warmed-up child waits for its arguments, so "Train" starts at once.
A lock file in the data directory (flock, freed by the kernel if we die) keeps two server
processes from training at the same time. Nothing here imports Streamlit.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from model.registry import REPO, Registry, RegistryError, data_home
from model.spec import ArchSpec
from model.workspace import PERSONAL, Workspace
from training.config import TrainConfig

LOCK_NAME = "training.lock"
NICENESS = 10  # training yields the CPU to the server and the drawing path
STOP_WAIT_SECONDS = 20  # how long shutting down waits for a stopped run to save
ACTIVE = ("starting", "training", "evaluating", "stopping")


class RunRefused(RuntimeError):
    """A run cannot start now; the message is one sentence naming the run that is going."""


@dataclass
class RunState:
    """What the page shows; a copy is handed out, the runner's own is only changed under its lock."""

    status: str = "idle"  # idle | starting | training | evaluating | stopping | done | stopped | discarded | failed
    name: str = ""  # registry name of the model being trained
    owner: str = ""  # who pressed Train (the page passes its browser session's id): other tabs say it is not theirs
    workspace: Workspace = PERSONAL  # the lab the model is saved in (and whose drawings it may train on)
    arch: ArchSpec | None = None
    cfg: TrainConfig | None = None
    epoch: int = 0  # 1-based epoch of the latest report
    epochs: int = 0
    batch: int = 0  # batches done in that epoch
    batches: int = 0  # batches per epoch
    fit_elapsed: float = 0.0  # seconds inside fit, as the child reports it
    started: float = 0.0  # time.time() when Train was pressed
    finished: float | None = None  # time.time() when the child exited
    history: list[dict] = field(default_factory=list)  # one EpochReport dict per finished epoch
    trace: list[dict] = field(default_factory=list)  # every batch report: {x: epochs done (fractional), loss, accuracy}
    result: dict | None = None  # the child's result event: name, accuracy, loss, train_seconds, params, stopped...
    error: str | None = None  # one sentence when status == "failed"
    stderr_tail: str = ""  # the child's last stderr lines when status == "failed" (also printed to the server log)
    stop_choice: str | None = None  # "keep" or "discard" once Stop was pressed
    late_discard: bool = False  # Discard was pressed after the model had been saved: it is kept, and the page says so
    learning: dict | None = None  # the latest `snapshot` event: units' weights, panel guesses (model/snapshots.py)
    learning_start: dict | None = (
        None  # the first one (before any batch): starting weights, the panel's images and labels
    )

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def progress(self) -> float:
        """Fraction of all batches of all epochs done, 0..1."""
        if not self.epochs or not self.batches:
            return 0.0
        return min(1.0, ((self.epoch - 1) * self.batches + self.batch) / (self.epochs * self.batches))

    def elapsed(self, now: float | None = None) -> float:
        """Wall seconds since Train was pressed (start-up and evaluation included)."""
        end = self.finished if self.finished is not None else (now or time.time())
        return max(0.0, end - self.started) if self.started else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds of training left, from the pace so far (None before the first report)."""
        p = self.progress
        return self.fit_elapsed * (1 - p) / p if p > 0 and self.status == "training" else None

    def apply(self, event: dict) -> None:
        """Fold one JSON line of `python -m training fit --json` into the state."""
        kind = event.get("event")
        if kind == "batch":
            self.epoch, self.epochs, self.batch, self.batches = (
                event["epoch"],
                event["epochs"],
                event["batch"],
                event["batches"],
            )
            self.fit_elapsed = event["elapsed"]
            x = self.epoch - 1 + self.batch / self.batches
            self.trace.append({"x": x, "loss": event["loss"], "accuracy": event["accuracy"]})
            if self.status == "starting":
                self.status = "training"
        elif kind == "epoch":
            report = {k: v for k, v in event.items() if k != "event"}
            self.history.append(report)
            self.epoch, self.epochs, self.batch = report["epoch"], report["epochs"], self.batches
            self.fit_elapsed = report["elapsed"]
            if self.status in ("starting", "training") and report["epoch"] == report["epochs"]:
                self.status = "evaluating"
        elif kind == "result":
            self.result = {k: v for k, v in event.items() if k != "event"}
        elif kind == "snapshot":
            if "panel_images" in event:
                self.learning_start = {k: v for k, v in event.items() if k != "event"}
            self.learning = {k: v for k, v in event.items() if k not in ("event", "panel_images", "panel_labels")}

    def finish(self, returncode: int, stderr: str, saved: dict | None = None) -> None:
        """The child has exited: settle on done / stopped / discarded / failed, as the registry has it.

        The child prints its result only once the model is saved, so a result means "saved", whatever
        the exit code (a signal can still arrive while it shuts down). `saved` is the registry's own
        summary of the model if it holds one: a result read from it if the child died before printing."""
        self.finished = time.time()
        if self.result is None and saved is not None:
            self.result = saved
        if self.result is not None:
            self.status = "stopped" if self.result.get("stopped") else "done"
            self.late_discard = self.stop_choice == "discard"
        elif self.stop_choice is not None:
            self.status = "discarded"  # stopped before anything was saved, or by choice
        else:
            self.status = "failed"
            self.error = _error_sentence(stderr, returncode)
            self.stderr_tail = _tail(stderr)


def _error_sentence(stderr: str, returncode: int) -> str:
    """The CLI's own one-sentence error if it printed one, else a plain statement of the exit."""
    for line in reversed(stderr.splitlines()):
        if line.startswith("error: "):
            text = line[len("error: ") :]
            return text[:1].upper() + text[1:]
    return f"Training stopped unexpectedly (exit code {returncode}); its last lines are below, and in the server log."


def _tail(stderr: str, lines: int = 8) -> str:
    """The last non-empty lines of a child's stderr: where a traceback ends with its error."""
    return "\n".join([line for line in stderr.splitlines() if line.strip()][-lines:])


def fit_args(
    name: str, arch: ArchSpec, cfg: TrainConfig, on_stop: str = "keep", workspace: Workspace = PERSONAL
) -> list[str]:
    """The `python -m training fit` arguments that train exactly (arch, cfg) under `name`, in `workspace`."""
    args = [
        "--arch",
        json.dumps(arch.to_dict()),
        "--optimizer",
        cfg.optimizer,
        "--lr",
        repr(cfg.learning_rate),
        "--batch-size",
        str(cfg.batch_size),
        "--epochs",
        str(cfg.epochs),
        "--val-split",
        repr(cfg.validation_split),
        "--schedule",
        cfg.schedule,
        "--label-smoothing",
        repr(cfg.label_smoothing),
        "--pen-strokes",
        repr(cfg.pen_strokes),
        "--pen-data",
        repr(cfg.pen_data),
        "--early-stopping",
        str(cfg.early_stopping),
        "--train-limit",
        str(cfg.train_limit),
        "--seed",
        str(cfg.seed),
        "--name",
        name,
        "--on-stop",
        on_stop,
        "--workspace",
        workspace.id,
        "--json",
    ]
    if cfg.augment:
        args.append("--augment")
    if cfg.include_drawings:
        args.append("--include-drawings")
    if not cfg.snapshots:
        args.append("--no-snapshots")
    return args


def child_env(home: Path) -> dict[str, str]:
    """The child's environment: our data directory, quiet TensorFlow, a thread budget that leaves a core free."""
    threads = str(max(1, (os.cpu_count() or 2) - 1))
    return {
        **os.environ,
        "DIGITLAB_HOME": str(home),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONUNBUFFERED": "1",
        "TF_NUM_INTRAOP_THREADS": threads,
        "TF_NUM_INTEROP_THREADS": "1",
        "OMP_NUM_THREADS": threads,
    }


class _Child:
    """One `python -m training standby` process: warms up, then runs the single fit it is sent."""

    def __init__(self, home: Path):
        nice = [shutil.which("nice"), "-n", str(NICENESS)] if shutil.which("nice") else []
        self.stderr = tempfile.TemporaryFile()  # a file, not a pipe: a chatty child can never block on it
        self.process = subprocess.Popen(
            [*nice, sys.executable, "-m", "training", "standby"],
            cwd=REPO,
            env=child_env(home),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
            bufsize=1,
            start_new_session=True,  # a Ctrl-C in the server's terminal is the server's, not the run's
        )
        self.ready = threading.Event()  # set once TensorFlow is imported and MNIST loaded

    def alive(self) -> bool:
        return self.process.poll() is None

    def send(self, args: list[str]) -> None:
        self.process.stdin.write(json.dumps(args) + "\n")
        self.process.stdin.close()

    def signal(self, signum: int) -> None:
        if self.alive():
            try:
                self.process.send_signal(signum)
            except ProcessLookupError:
                pass

    def stderr_text(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    def close(self) -> None:
        """Let an idle standby go (EOF on stdin makes it exit)."""
        if self.process.stdin and not self.process.stdin.closed:
            self.process.stdin.close()


class Runner:
    """One training at a time for one data directory; the page polls `snapshot()`."""

    def __init__(self, home: Path, standby: bool = True):
        self.home = Path(home)
        self.use_standby = standby  # keep a warmed-up child waiting (costs memory, saves seconds per run)
        self._lock = threading.Condition()
        self._state = RunState()
        self._run: _Child | None = None  # the child training now
        self._standby: _Child | None = None  # the warmed-up child waiting for its arguments
        self._lock_file = None  # open file holding the flock while a run is going

    # --- what the page calls ---------------------------------------------------------------

    def snapshot(self) -> RunState:
        """A copy for the page: lists are copied, their dicts shared (reports are never changed once added)."""
        with self._lock:
            return self._copy()

    def _copy(self) -> RunState:
        s = self._state
        return replace(
            s, history=list(s.history), trace=list(s.trace), result=None if s.result is None else dict(s.result)
        )

    def warm_up(self) -> None:
        """Have a standby child starting or ready (no-op when one exists or a run is going)."""
        with self._lock:
            if self.use_standby and not self._state.active and (self._standby is None or not self._standby.alive()):
                self._standby = self._spawn()

    def start(
        self, name: str, arch: ArchSpec, cfg: TrainConfig, owner: str = "", workspace: Workspace = PERSONAL
    ) -> None:
        """Start training `name` in the background for `owner`, into `workspace`; RunRefused if this or another
        server is training (one run at a time, whoever's lab it is for)."""
        with self._lock:
            if self._state.active:
                raise RunRefused(f"{self._state.name!r} is training right now; wait for it to finish or stop it first.")
            self._take_file_lock(name)
            self._state = RunState(
                status="starting",
                name=name,
                owner=owner,
                workspace=workspace,
                arch=arch,
                cfg=cfg,
                epochs=cfg.epochs,
                started=time.time(),
            )
            try:
                self._run = self._send(fit_args(name, arch, cfg, workspace=workspace))
            except BaseException:
                self._state = RunState()
                self._release_file_lock()
                raise
            self._lock.notify_all()

    def stop(self, keep: bool = True) -> None:
        """Ask the run to stop after the current batch: keep its best weights so far, or save nothing.

        A discard asked once training has ended still saves nothing if it reaches the child before it
        saves; once the child has reported its result (the model is saved) it is only noted, and the
        page says the model was already saved."""
        with self._lock:
            if not self._state.active or self._run is None:
                return
            self._state.stop_choice = "keep" if keep else "discard"
            if self._state.result is None:  # not saved yet: the child can still honour it
                self._state.status = "stopping"
                self._run.signal(signal.SIGTERM if keep else signal.SIGUSR1)
            self._lock.notify_all()

    def dismiss(self) -> None:
        """Forget a finished run (the page goes back to just the form)."""
        with self._lock:
            if not self._state.active:
                self._state = RunState()

    def wait(self, until: Callable[[RunState], bool], timeout: float) -> RunState:
        """Block until `until(state)` holds (or the timeout passes); returns a snapshot."""
        with self._lock:
            self._lock.wait_for(lambda: until(self._state), timeout=timeout)
            return self._copy()

    def shutdown(self) -> None:
        """Server exit: let the standby go; stop a live run, keeping its best weights, and wait for it to save."""
        with self._lock:
            if self._standby is not None:
                self._standby.close()
            run = self._run if self._state.active else None
        if run is not None:
            self.stop(keep=True)
            try:
                run.process.wait(timeout=STOP_WAIT_SECONDS)
            except subprocess.TimeoutExpired:
                run.process.kill()

    # --- the child ---------------------------------------------------------------------------

    def _send(self, args: list[str]) -> _Child:
        """Hand the run to the standby child (or a fresh one if the standby is gone)."""
        child, self._standby = self._standby, None
        if child is not None and child.alive():
            try:
                child.send(args)
                return child
            except OSError:  # it died between the check and the write
                pass
        child = self._spawn()
        child.send(args)
        return child

    def _spawn(self) -> _Child:
        child = _Child(self.home)
        threading.Thread(target=self._follow, args=(child,), name="digitlab-train-reader", daemon=True).start()
        return child

    def _follow(self, child: _Child) -> None:
        """Reader thread: one JSON line at a time into the state, then settle when the child exits."""
        for line in child.process.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue  # not ours (a library printing to stdout)
            if event.get("event") == "ready":
                child.ready.set()
                continue
            with self._lock:
                if child is self._run:
                    self._state.apply(event)
                    self._lock.notify_all()
        returncode = child.process.wait()
        with self._lock:
            if child is self._run:
                stderr = child.stderr_text()
                self._state.finish(returncode, stderr, self._saved(self._state))
                if self._state.status == "failed":
                    _log_failure(self._state, returncode, stderr)
                self._run = None
                self._release_file_lock()
                self._lock.notify_all()
        child.stderr.close()

    def _saved(self, state: RunState) -> dict | None:
        """What the registry holds under the run's name, as a result dict (None if it holds nothing)."""
        if state.result is not None:
            return None  # the child's own report is the same and more complete
        try:
            record = Registry(self.home, state.workspace).get(state.name)
            created = datetime.fromisoformat(record.created).timestamp()
        except (RegistryError, ValueError, TypeError):
            return None
        if created < int(state.started):  # a model of that name from before this run (it failed on the name)
            return None
        return {
            "name": record.name,
            "accuracy": record.accuracy,
            "loss": record.metrics.get("loss"),
            "train_seconds": record.train_seconds,
            "epochs": len(record.history),
            "best_epoch": 0,
            "params": record.params,
            "stopped": len(record.history) < state.epochs,
        }

    # --- one run per data directory, across server processes -------------------------------

    def _take_file_lock(self, name: str) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        f = open(self.home / LOCK_NAME, "a+")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            other = f.read().strip() or "another model"
            f.close()
            raise RunRefused(
                f"{other!r} is training in another Digit Lab server on this data; wait for it to finish."
            ) from None
        f.seek(0)
        f.truncate()
        f.write(name)
        f.flush()
        self._lock_file = f

    def _release_file_lock(self) -> None:
        if self._lock_file is not None:
            self._lock_file.truncate(0)
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None


def _log_failure(state: RunState, returncode: int, stderr: str) -> None:
    """Keep a failed run's last stderr lines in the server's log (its stderr), where the page points to."""
    print(
        f"digitlab: training {state.name!r} failed (exit code {returncode}); the end of its stderr:\n"
        f"{_tail(stderr, 40) or '(empty)'}",
        file=sys.stderr,
        flush=True,
    )


_RUNNERS: dict[Path, Runner] = {}
_RUNNERS_LOCK = threading.Lock()


def get_runner(home: Path | None = None) -> Runner:
    """The runner of this server process for `home` (default: $DIGITLAB_HOME). $DIGITLAB_TRAIN_STANDBY=0 turns the standby off."""
    home = Path(home or data_home()).resolve()
    with _RUNNERS_LOCK:
        if home not in _RUNNERS:
            _RUNNERS[home] = Runner(home, standby=os.environ.get("DIGITLAB_TRAIN_STANDBY", "1") != "0")
        return _RUNNERS[home]


@atexit.register
def _shutdown_all() -> None:
    for runner in list(_RUNNERS.values()):
        runner.shutdown()
