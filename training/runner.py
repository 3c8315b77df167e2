"""A training run's child process and what the page knows of it: the parts every worker shares.

    child = _Child(home)                       # `python -m training standby`: TensorFlow imported, MNIST loaded
    child.send(fit_args(name, arch, cfg, workspace=ws, orphan="discard"))   # then it trains, printing JSON lines
    state = RunState(...); state.apply(event)  # each line folded in: progress, curves, snapshots, the result
    state.finish(returncode, stderr, saved_result(home, state))   # done | stopped | discarded | failed

Why a child process (under `nice`, with a thread budget): the Streamlit server keeps its GIL and a core for
drawing, a worker never runs TensorFlow itself (Keras in a forked worker is a known way to hang), and a
crash cannot corrupt anything, because the registry writes files atomically. Why a standby: importing
TensorFlow takes seconds; a warmed-up child waits for its arguments, so a run starts at once.
training/supervise.py drives one run with these; training/queue.py decides which run, and when.
Nothing here imports Streamlit.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from model.registry import REPO, Registry, RegistryError
from model.runs import ACTIVE  # queued or going: the lab has a run (the store's own list)
from model.spec import ArchSpec
from model.workspace import PERSONAL, Workspace
from training.config import TrainConfig

NICENESS = 10  # training yields the CPU to the server and the drawing path


@dataclass
class RunState:
    """What the page shows of a run: the store's row with the child's events folded in (training/queue.py), or
    a worker's own view of the run it supervises (training/supervise.py)."""

    status: str = "idle"  # idle | queued | starting | training | evaluating | stopping | done | stopped | discarded | failed | cancelled
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
    started: float = 0.0  # time.time() when a worker took the run (when Train was pressed, while it is queued)
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
    run_id: str = ""  # the queue's id of the run (training/queue.py)
    ahead: int = 0  # while queued: runs (anyone's) queued before it
    wait: float | None = None  # while queued: seconds until a worker takes it, from the workers' pace
    others_queued: int = 0  # other labs' runs waiting: only counted, never named
    others_training: int = 0  # other labs' runs training

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
    name: str,
    arch: ArchSpec,
    cfg: TrainConfig,
    on_stop: str = "keep",
    workspace: Workspace = PERSONAL,
    orphan: str = "keep",
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
        "--orphan",
        orphan,
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
            env={**child_env(home), "DIGITLAB_PARENT_PID": str(os.getpid())},  # training/__main__.py PARENT_VAR
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
            bufsize=1,
            start_new_session=True,  # a Ctrl-C in the server's terminal is the server's, not the run's
        )

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


def saved_result(home: Path, state: RunState) -> dict | None:
    """What the registry holds under the run's name, as a result dict (None if it holds nothing)."""
    if state.result is not None:
        return None  # the child's own report is the same and more complete
    try:
        record = Registry(home, state.workspace).get(state.name)
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


def _log_failure(state: RunState, returncode: int, stderr: str) -> None:
    """Keep a failed run's last stderr lines in the server's log (its stderr), where the page points to."""
    print(
        f"digitlab: training {state.name!r} failed (exit code {returncode}); the end of its stderr:\n"
        f"{_tail(stderr, 40) or '(empty)'}",
        file=sys.stderr,
        flush=True,
    )
