"""`python -m training worker` as its own process: it trains what a server queued, and a `kill -9` on it mid-run
fails that run in one sentence within a minute, saves nothing, and leaves the queue to the next worker.
On SQLite (SqliteHuey) and on a real PostgreSQL (PostgresHuey): the worker process gets DIGITLAB_DATABASE_URL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from model import runs
from model.db import create_workspace
from model.registry import Registry
from model.spec import ArchSpec
from model.workspace import key_hash, new_key
from training.config import TrainConfig
from training.queue import TrainQueue

REPO = Path(__file__).resolve().parent.parent
ARCH = ArchSpec.simple([16])
TINY = TrainConfig(epochs=2, batch_size=32, train_limit=800, validation_split=0.2)
LONG = TrainConfig(epochs=200, batch_size=16, train_limit=1000)
WAIT = 240


def start_worker(home: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "DIGITLAB_HOME": str(home), "DIGITLAB_TRAIN_STANDBY": "0"}
    env.pop("DIGITLAB_WORKERS", None)
    return subprocess.Popen(
        [sys.executable, "-m", "training", "worker"],
        cwd=REPO,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def trainers(home: Path) -> list[int]:
    """Pids of the `python -m training` children working on `home` (read from /proc: they are not ours)."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes()
            environ = (proc / "environ").read_bytes()
        except (OSError, ValueError):
            continue
        if b"training\x00standby" in cmdline and f"DIGITLAB_HOME={home}\x00".encode() in environ:
            pids.append(int(proc.name))
    return pids


def lab(home: Path) -> TrainQueue:
    return TrainQueue(home, create_workspace(home, key_hash(new_key())))


def test_a_worker_process_trains_the_runs_a_server_queued(store, tmp_path):
    a, b = lab(store), lab(store)
    a.start("model-a", ARCH, TINY)
    b.start("model-b", ARCH, TINY)
    worker = start_worker(store, tmp_path / "worker.log")
    try:
        assert a.wait(lambda s: s.status in runs.ENDED, WAIT).status == "done"
        assert b.wait(lambda s: s.status in runs.ENDED, WAIT).status == "done"
    finally:
        worker.terminate()
        assert worker.wait(30) is not None
    assert Registry(store, a.ws).exists("model-a") and not Registry(store, a.ws).exists("model-b")
    assert Registry(store, b.ws).exists("model-b")


def test_a_worker_killed_mid_run_fails_the_run_in_one_sentence_and_the_next_worker_goes_on(digitlab_home, tmp_path):
    """On SQLite; tests/e2e/test_replicas.py kills a worker on PostgreSQL (PostgresHuey), with two replicas watching."""
    doomed, next_one = lab(digitlab_home), lab(digitlab_home)
    doomed.start("doomed", ARCH, LONG)
    worker = start_worker(digitlab_home, tmp_path / "worker-1.log")
    try:
        running = doomed.wait(lambda s: s.batches > 0 or s.status in runs.ENDED, WAIT)
        assert running.status == "training"
        next_one.start("after", ARCH, TINY)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        killed = time.monotonic()
        failed = doomed.wait(lambda s: s.status in runs.ENDED, 90)
        took = time.monotonic() - killed
    finally:
        worker.kill()
    assert failed.status == "failed" and failed.error == runs.LOST
    assert took < 60, f"the run was marked failed {took:.0f} s after the kill"
    assert not Registry(digitlab_home, doomed.ws).exists("doomed")
    deadline = time.monotonic() + 30
    while trainers(digitlab_home) and time.monotonic() < deadline:  # the orphan sees its parent go within a batch
        time.sleep(0.5)
    assert trainers(digitlab_home) == []
    assert next_one.snapshot().status == "queued"  # nobody took it: the only worker is dead
    second = start_worker(digitlab_home, tmp_path / "worker-2.log")
    try:
        assert next_one.wait(lambda s: s.status in runs.ENDED, WAIT).status == "done"
    finally:
        second.terminate()
        second.wait(30)
    leftovers = [p.name for p in (digitlab_home / "models").rglob("*") if p.is_file() and "after" not in p.name]
    assert leftovers == []  # nothing half-written by the killed run's child


def test_bad_worker_settings_get_one_sentence_and_exit_code_2(digitlab_home):
    result = subprocess.run(
        [sys.executable, "-m", "training", "worker", "--workers", "0"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 2 and result.stderr == "error: --workers must be 1 or more, got 0.\n"
    env = {**os.environ, "DIGITLAB_WORKERS": "two"}
    result = subprocess.run(
        [sys.executable, "-m", "training", "worker"], cwd=REPO, capture_output=True, text=True, env=env
    )
    assert result.returncode == 2
    assert result.stderr == "error: DIGITLAB_WORKERS must be a whole number of workers, 0 or more, not 'two'.\n"
    for url, sentence in [
        ("mysql://x/y", "DIGITLAB_DATABASE_URL must be a postgresql://user@host:port/database URL."),
        ("postgresql://postgres@127.0.0.1:1/none", "port 1 failed: Connection refused."),
    ]:
        env = {**os.environ, "DIGITLAB_DATABASE_URL": url}
        result = subprocess.run(
            [sys.executable, "-m", "training", "worker", "--workers", "1"],
            cwd=REPO,
            capture_output=True,
            text=True,
            env=env,
        )
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
        assert result.stderr.startswith("error: cannot open the store") and result.stderr.endswith(f"{sentence}\n")


@pytest.mark.parametrize("moment", ["training", "evaluating"])  # mid-fit, and as the child is about to save
def test_postgresql_restarted_mid_run_the_worker_reconnects_and_the_run_finishes(
    moment, postgres, monkeypatch, digitlab_home, tmp_path
):
    """A restart drops every connection of the worker (its store and PostgresHuey's) and of the server's side:
    the supervisor keeps the child's events until the database is back, and the run ends done, with all of them."""
    monkeypatch.setenv("DIGITLAB_DATABASE_URL", postgres.new_database())
    q = lab(digitlab_home)
    q.start("survivor", ARCH, TrainConfig(epochs=6, batch_size=16, train_limit=1000, validation_split=0.2))
    worker = start_worker(digitlab_home, tmp_path / "worker.log")
    try:
        reached = q.wait(lambda s: s.status == moment or s.status in runs.ENDED, WAIT, every=0.05)
        assert reached.status == moment
        postgres.restart(down_for=3)  # long enough that the child's save (after evaluating) meets it
        state = q.wait(lambda s: s.status in runs.ENDED, WAIT)
        assert state.status == "done", f"{state.error}\n{(tmp_path / 'worker.log').read_text()}"
        assert [h["epoch"] for h in state.history] == list(range(1, 7))  # no epoch's event was lost
        assert Registry(digitlab_home, q.ws).exists("survivor")
        q.dismiss()
        q.start("after-restart", ARCH, TINY)  # the queue still carries runs to the worker
        assert q.wait(lambda s: s.status in runs.ENDED, WAIT).status == "done"
    finally:
        worker.terminate()
        worker.wait(30)
