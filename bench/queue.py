"""The training queue's costs, on this machine: start-up, bookkeeping, and many runs at once.

    .venv/bin/python -m bench.queue [--rounds 3] [--runs 12] [--parts start,fit,burst]

Each part uses a fresh data directory (SQLite store and SqliteHuey queue, as `make run`), and workers as
threads of this process, as a server's embedded ones:
  start:  Train pressed -> the run's first batch event in the store, with an idle worker whose standby child is
          warm; against today's standby start without a queue: a warm `python -m training standby` child sent
          its arguments directly -> its first batch line. A small net (784-16-10) on 2,000 images.
  fit:    a 5-epoch fit of 784-128-10 on all 60,000 images: its own train_seconds through the queue against
          `python -m training fit` alone with the child's niceness and thread budget, in pairs taking turns (the
          bookkeeping, event writes and heartbeats, runs beside the child, on the same cores). On a VM whose
          fits vary by a third from one to the next, that comparison cannot resolve 3 %; so it also prints the
          CPU seconds this process spent meanwhile, the bookkeeping's whole cost: it can take at most that
          much time from the fit, the worst case being every one of its CPU seconds coming off the fit's.
  burst:  --runs small runs, one from each of as many labs, queued at once; 1 then 2 worker threads. Checks every
          run trained exactly once (one model per lab, every run done); prints throughput and queue wait p50/p90.
Goals (issue #28): start <= 1.5 s over the standby start; fit bookkeeping <= 3 %.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from model import runs  # noqa: E402
from model.db import create_workspace  # noqa: E402
from model.registry import Registry  # noqa: E402
from model.spec import ArchSpec  # noqa: E402
from model.workspace import PERSONAL, key_hash, new_key  # noqa: E402
from training.config import TrainConfig  # noqa: E402
from training.queue import TrainQueue, consumer_for  # noqa: E402
from training.runner import NICENESS, _Child, child_env, fit_args  # noqa: E402

SMALL = ArchSpec.simple([16])
SMALL_CFG = TrainConfig(epochs=2, batch_size=64, train_limit=2000, snapshots=False)
FIT = ArchSpec.simple([128])
FIT_CFG = TrainConfig(epochs=5, batch_size=128, snapshots=False)
WARM_S = 15  # how long a fresh standby child is given to import TensorFlow and load MNIST


def fresh_home() -> Path:
    home = Path(tempfile.mkdtemp(prefix="bench-queue-"))
    os.environ["DIGITLAB_HOME"] = str(home)
    return home


def workers(home: Path, n: int):
    consumer = consumer_for(home, n)
    consumer._set_signal_handlers = lambda: None
    consumer.start()
    return consumer


def standby_start(home: Path, name: str) -> float:
    """Today's standby start: a warm child, sent its arguments -> its first batch line (seconds)."""
    child = _Child(home)
    assert json.loads(child.process.stdout.readline())["event"] == "ready"
    t0 = time.perf_counter()
    child.send(fit_args(name, SMALL, SMALL_CFG))
    for line in child.process.stdout:
        if '"event": "batch"' in line:
            seconds = time.perf_counter() - t0
            break
    child.process.wait()
    return seconds


def queue_start(home: Path, name: str) -> float:
    """Train pressed -> the first batch in the store, the worker idle and its standby warm (seconds)."""
    q = TrainQueue(home, PERSONAL)
    t0 = time.perf_counter()
    run = q.start(name, SMALL, SMALL_CFG)
    while (r := runs.get(home, PERSONAL, run.id)).events == 0 and r.status not in runs.ENDED:
        time.sleep(0.01)
    seconds = time.perf_counter() - t0
    q.wait(lambda s: s.status in runs.ENDED, 300)
    q.dismiss()
    return seconds


def part_start(rounds: int) -> None:
    home = fresh_home()
    consumer = workers(home, 1)
    direct, queued = [], []
    try:
        for i in range(rounds):
            direct.append(standby_start(home, f"direct-{i}"))
            time.sleep(WARM_S)  # the worker's next standby is warm
            queued.append(queue_start(home, f"queued-{i}"))
    finally:
        consumer.stop(graceful=True)
    print(
        f"start: standby alone {fmt(direct)} s; through the queue {fmt(queued)} s; "
        f"over: {statistics.median(queued) - statistics.median(direct):+.2f} s (median)"
    )


def fit_alone(home: Path, name: str) -> float:
    """`python -m training fit` as a worker's child runs it: niced, the same thread budget, no supervisor."""
    out = subprocess.run(
        ["nice", "-n", str(NICENESS), sys.executable, "-m", "training", "fit", *fit_args(name, FIT, FIT_CFG)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env=child_env(home),
    ).stdout
    return json.loads(out.strip().splitlines()[-1])["train_seconds"]


def fit_queued(home: Path, name: str) -> tuple[float, float, float]:
    """The same fit through the queue: its train_seconds, this process's CPU seconds meanwhile (the worker's
    bookkeeping and a page-like watcher polling every second), and the watcher's share of them."""
    q = TrainQueue(home, PERSONAL)
    cpu = time.process_time()
    q.start(name, FIT, FIT_CFG)
    watching = time.thread_time()  # this thread only polls, as a Train page would
    state = q.wait(lambda s: s.status in runs.ENDED, 900, every=1.0)
    watching = time.thread_time() - watching
    cpu = time.process_time() - cpu
    assert state.status == "done", state.error
    q.dismiss()
    return state.result["train_seconds"], cpu, watching


def part_fit(rounds: int) -> None:
    home = fresh_home()
    consumer = workers(home, 1)
    alone, queued, cpu, watching = [], [], [], []
    try:
        time.sleep(WARM_S)  # the worker's standby is warm, and warms up again after each queued run (below)
        for i in range(rounds):  # taking turns, the first of each pair alternating, so a drift hits both
            for kind in ("alone", "queued") if i % 2 == 0 else ("queued", "alone"):
                if kind == "alone":
                    alone.append(fit_alone(home, f"alone-{i}"))
                else:
                    seconds, used, watched = fit_queued(home, f"queued-{i}")
                    queued.append(seconds)
                    cpu.append(used)
                    watching.append(watched)
                    time.sleep(WARM_S)  # the next standby's import of TensorFlow must not overlap a fit
    finally:
        consumer.stop(graceful=True)
    a, b = statistics.median(alone), statistics.median(queued)
    print(
        f"fit: train_seconds alone {fmt(alone)}; through the queue {fmt(queued)}; cost {100 * (b - a) / a:+.1f} % "
        f"(medians); the bookkeeping's CPU {fmt(cpu)} s, {100 * statistics.median(cpu) / b:.1f} % of a fit's time, "
        f"of which the watcher's {fmt(watching)} s"
    )


def part_burst(n: int, n_workers: int) -> None:
    home = fresh_home()
    labs = [TrainQueue(home, create_workspace(home, key_hash(new_key()))) for _ in range(n)]
    for i, q in enumerate(labs):
        q.start(f"burst-{i}", SMALL, SMALL_CFG)
    t0 = time.time()
    consumer = workers(home, n_workers)
    try:
        ended = [q.wait(lambda s: s.status in runs.ENDED, 1800) for q in labs]
    finally:
        consumer.stop(graceful=True)
    wall = time.time() - t0
    rows = [runs.latest(home, q.ws) for q in labs]
    once = all(s.status == "done" for s in ended) and all(
        [r.name for r in Registry(home, q.ws).records() if not r.bundled] == [f"burst-{i}"] for i, q in enumerate(labs)
    )
    waits = sorted(r.started - r.queued for r in rows)
    print(
        f"burst: {n} runs, {n_workers} worker{'s' if n_workers > 1 else ''}: {wall:.1f} s, "
        f"{60 * n / wall:.1f} runs/min; wait p50 {pct(waits, 50):.1f} s, p90 {pct(waits, 90):.1f} s; "
        f"every run exactly once: {once}"
    )


def pct(values: list[float], q: float) -> float:
    return float(statistics.quantiles(values, n=100, method="inclusive")[q - 1]) if len(values) > 1 else values[0]


def fmt(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:.2f}" for v in values) + "]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=12)
    parser.add_argument("--parts", default="start,fit,burst", help="which parts, comma-separated")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "start" in parts:
        part_start(args.rounds)
    if "fit" in parts:
        part_fit(args.rounds)
    if "burst" in parts:
        for n_workers in (1, 2):
            part_burst(args.runs, n_workers)


if __name__ == "__main__":
    main()
