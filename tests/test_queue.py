"""The training queue end to end on one machine: Huey carries the run, a worker thread supervises a real child,
the page's view (TrainQueue) reads it all back from the store. Runs are a few hundred images, a few seconds.
Each test runs twice: on SQLite with SqliteHuey, and on a real PostgreSQL with PostgresHuey (tests/postgres.py)."""

from __future__ import annotations

import pytest

from model import runs
from model.db import create_workspace
from model.registry import Registry
from model.spec import ArchSpec
from model.workspace import PERSONAL, key_hash, new_key
from training.config import TrainConfig
from training.queue import RunRefused, TrainQueue, enqueue, look_after, queue_for, requeue_lost
from training.runner import RunState

ARCH = ArchSpec.simple([16])
TINY = TrainConfig(epochs=2, batch_size=32, train_limit=800, validation_split=0.2)
LONG = TrainConfig(epochs=200, batch_size=16, train_limit=1000)
WAIT = 240  # seconds: generous, the machine is shared; tests wait on conditions, never on the clock


def ended(state: RunState) -> bool:
    return state.status in runs.ENDED


def test_a_queued_run_trains_in_a_worker_and_the_page_reads_it_from_the_store(store, workers):
    q = TrainQueue(store, PERSONAL)
    run = q.start("tiny-run", ARCH, TINY, owner="tab-1")
    queued = q.snapshot()
    assert queued.status == "queued" and queued.run_id == run.id and queued.ahead == 0
    workers()
    seen = q.wait(lambda s: s.batches > 0 or ended(s), WAIT)  # a tiny run may end between two looks
    assert seen.batches == 20 and 0 < seen.progress <= 1  # 640 images / 32
    state = q.wait(ended, WAIT)
    assert state.status == "done", state.error
    assert [h["epoch"] for h in state.history] == [1, 2] and state.progress == 1.0
    assert state.result["name"] == "tiny-run" and state.result["params"] == ARCH.params and state.owner == "tab-1"
    record = Registry(store).get("tiny-run")
    assert record.accuracy == pytest.approx(state.result["accuracy"])
    assert record.history == state.history and record.train["train_limit"] == 800
    learning = q.snapshot(learning=True)  # the Train page's panel: the first snapshot and the latest
    assert "panel_images" in learning.learning_start and learning.learning["epoch"] == 2
    q.dismiss()
    assert q.snapshot().status == "idle"


def test_runs_wait_their_turn_and_a_lab_sees_only_counts_of_the_others(store, workers):
    a = TrainQueue(store, create_workspace(store, key_hash(new_key())))
    b = TrainQueue(store, create_workspace(store, key_hash(new_key())))
    c = TrainQueue(store, create_workspace(store, key_hash(new_key())))
    a.start("a-model", ARCH, LONG)
    b.start("b-model", ARCH, TINY)
    c.start("c-model", ARCH, TINY)
    sb, sc = b.snapshot(), c.snapshot()
    assert (sb.ahead, sc.ahead) == (1, 2) and sc.others_queued == 2 and sc.others_training == 0
    assert "a-model" not in repr(sc.__dict__) and "b-model" not in repr(sc.__dict__)  # only counts, never names
    assert c.cancel() and c.snapshot().status == "cancelled"
    workers()
    a.wait(lambda s: s.status == "training", WAIT)
    waiting = b.snapshot()
    assert waiting.status == "queued" and waiting.ahead == 0 and waiting.others_training == 1
    a.stop(keep=False)
    assert a.wait(ended, WAIT).status == "discarded"
    assert b.wait(ended, WAIT).status == "done"
    assert c.snapshot().status == "cancelled" and not Registry(store, c.ws).exists("c-model")
    assert Registry(store, b.ws).exists("b-model") and not Registry(store, a.ws).exists("b-model")


def test_a_lab_has_one_run_at_a_time_and_a_class_its_cap(store):
    from model.classes import create_class, join

    q = TrainQueue(store, PERSONAL)
    q.start("first", ARCH, TINY)
    with pytest.raises(RunRefused, match="^Your lab already has a run queued or training"):
        q.start("second", ARCH, TINY)
    teacher = create_workspace(store, key_hash(new_key()))
    room, _ = create_class(store, "7B", teacher)
    from sqlalchemy import update

    from model.db import classes, engine

    with engine(store).begin() as conn:
        conn.execute(update(classes).values(max_runs=2))
    students = [join(store, room, f"s{i}")[0] for i in range(3)]
    TrainQueue(store, students[0]).start("m", ARCH, TINY)
    TrainQueue(store, students[1]).start("m", ARCH, TINY)
    with pytest.raises(RunRefused, match="^Your class already has 2 runs queued or training"):
        TrainQueue(store, students[2]).start("m", ARCH, TINY)
    assert runs.latest(store, students[2]) is None  # nothing created


def test_another_labs_run_cannot_be_stopped_cancelled_or_read(store):
    mine = TrainQueue(store, create_workspace(store, key_hash(new_key())))
    theirs = create_workspace(store, key_hash(new_key()))
    run = mine.start("secret-name", ARCH, TINY)
    assert runs.get(store, theirs, run.id) is None
    assert not runs.cancel(store, theirs, run.id)
    assert not runs.ask_stop(store, theirs, run.id, "discard")
    runs.dismiss(store, theirs, run.id)
    assert mine.snapshot().status == "queued"


def test_a_worker_that_goes_silent_is_reaped_in_one_sentence(store):
    q = TrainQueue(store, PERSONAL)
    run = q.start("orphan", ARCH, TINY)
    assert runs.claim(store, run.id, "gone:1") is not None
    assert runs.reap(store, stale=30) == 0  # its heartbeat is fresh
    assert runs.reap(store, stale=-1) == 1  # as if 30 s had passed
    state = q.snapshot()
    assert state.status == "failed" and state.error == runs.LOST


def test_a_run_whose_task_was_lost_is_put_back_on_the_queue(store, monkeypatch):
    """A worker that takes a task and then loses the database for good before it claims the run drops the task;
    the reaper's pass puts it back once the run has waited LOST_TASK_S, only it, and ahead of the runs queued
    after it, as its page has said all along."""
    lost = TrainQueue(store, PERSONAL)
    run = lost.start("lost-task", ARCH, TINY)
    held = TrainQueue(store, create_workspace(store, key_hash(new_key())))
    kept = held.start("kept-task", ARCH, TINY)
    huey = queue_for(store)
    taken = huey.dequeue()  # what the worker took and dropped: the first run's task
    assert taken.args == (run.id,) and [t.args for t in huey.pending()] == [(kept.id,)]
    look_after(store)  # the reaper's pass: both were queued just now, and a worker may be claiming them
    assert [t.args for t in huey.pending()] == [(kept.id,)]
    monkeypatch.setattr("training.queue.LOST_TASK_S", 0)
    look_after(store)
    assert [t.args for t in huey.pending()] == [(run.id,), (kept.id,)]  # the other run's task was still there
    assert requeue_lost(store) == []  # put back once
    assert huey.dequeue().args == (run.id,)  # a worker takes it first, as it was queued first
    assert lost.snapshot().status == "queued" and held.snapshot().status == "queued"


def test_a_run_cancelled_before_a_worker_takes_it_never_trains(store, workers):
    """The cancelled run's task still reaches the worker, and does nothing, once and delivered twice alike. A run
    queued after both is the sign they were taken: one worker takes tasks in order."""
    q = TrainQueue(store, PERSONAL)
    run = q.start("never", ARCH, TINY)
    assert q.cancel()
    enqueue(store, run.id)  # a task delivered twice does nothing the second time either
    after = TrainQueue(store, create_workspace(store, key_hash(new_key())))
    after.start("after", ARCH, TINY)
    workers()
    assert after.wait(ended, WAIT).status == "done"
    cancelled = runs.get(store, PERSONAL, run.id)
    assert cancelled.status == "cancelled" and cancelled.started is None
    assert not Registry(store).exists("never")


def test_the_wait_is_estimated_from_the_pace_of_the_runs_ahead(store):
    ahead = TrainQueue(store, create_workspace(store, key_hash(new_key())))
    mine = TrainQueue(store, create_workspace(store, key_hash(new_key())))
    first = ahead.start("ahead", ARCH, LONG)
    mine.start("mine", ARCH, TINY)
    assert mine.snapshot().wait is None  # nothing has a pace yet, and no run has finished to go by
    runs.claim(store, first.id, "w:1")
    runs.record(store, first.id, [], 0, "training", progress=0.25, fit_elapsed=10.0)
    state = mine.snapshot()
    assert state.ahead == 0 and state.wait == pytest.approx(30.0)  # a quarter took 10 s: 30 s to go


def test_a_server_restarted_with_runs_waiting_starts_its_workers_from_any_page(digitlab_home, monkeypatch):
    """Every page calls ui.stores.start_workers_soon(): nothing queued, no worker (no TensorFlow child for a server
    where people only draw); a run left queued by a restart, and the server's worker starts and trains it."""
    from training import queue
    from ui.stores import _start_if_queued

    monkeypatch.setenv("DIGITLAB_WORKERS", "1")
    monkeypatch.setenv("DIGITLAB_TRAIN_STANDBY", "0")  # no TensorFlow child left waiting after the test
    _start_if_queued(str(digitlab_home))
    assert digitlab_home.resolve() not in queue._EMBEDDED
    q = TrainQueue(digitlab_home, PERSONAL)
    q.start("left-waiting", ARCH, TINY)
    _start_if_queued(str(digitlab_home))
    try:
        assert q.wait(ended, WAIT).status == "done"
    finally:
        queue.stop_embedded()


def batch(i: int) -> dict:
    return {
        "event": "batch",
        "epoch": 1,
        "epochs": 1,
        "batch": i,
        "batches": 10,
        "loss": 1.0,
        "accuracy": 0.5,
        "elapsed": i,
    }


def test_two_pages_folding_one_run_at_once_never_fold_an_event_twice(store, monkeypatch):
    """Another page folds some of the newest events between this page's read and its fold: each is folded once."""
    from training import queue

    q = TrainQueue(store, PERSONAL)
    run = q.start("watched", ARCH, TINY)
    runs.claim(store, run.id, "w:1")
    runs.record(store, run.id, [batch(i) for i in (1, 2, 3)], 0, "training", 0.3, 3.0)
    assert len(q.snapshot().trace) == 3
    runs.record(store, run.id, [batch(i) for i in (4, 5, 6)], 3, "training", 0.6, 6.0)
    real = runs.events_since

    def racing(*args):
        events = real(*args)
        folded = queue._FOLDED[run.id]  # the other page, in between, had seen only the next two events
        for event in real(store, PERSONAL, run.id, folded.seq)[:2]:
            folded.state.apply(event)
        folded.seq += 2
        return events

    monkeypatch.setattr(runs, "events_since", racing)
    assert [t["x"] for t in q.snapshot().trace] == [i / 10 for i in range(1, 7)]


def test_closing_a_run_never_brings_back_an_older_one(store):
    q = TrainQueue(store, PERSONAL)
    first = q.start("first", ARCH, TINY)
    runs.claim(store, first.id, "w:1")
    runs.finish(store, first.id, "failed", error="Boom.")  # ended, its panel not closed
    q.start("second", ARCH, TINY)
    assert q.cancel() and q.snapshot().name == "second"
    q.dismiss()
    assert q.snapshot().status == "idle"


def test_a_reaped_run_is_given_up_by_its_worker_or_ends_as_it_really_did(store):
    """A worker cut off from the database for over 30 s is reaped: when it is back, record() tells it the run is
    gone (it discards its child); a child that saved meanwhile ends the run as it really did."""
    q = TrainQueue(store, PERSONAL)
    run = q.start("cut-off", ARCH, TINY)
    runs.claim(store, run.id, "w:1")
    assert runs.reap(store, stale=-1) == 1
    assert runs.record(store, run.id, [batch(1)], 0, "training", 0.1, 1.0) == runs.GONE
    assert runs.events_since(store, PERSONAL, run.id) == []  # nothing written for a run that is not running
    runs.finish(store, run.id, "done", result={"name": "cut-off"})
    assert q.snapshot().status == "done"
