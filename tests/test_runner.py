"""A run's state from the CLI's JSON lines (training/runner.py's RunState), then real child runs on a few
hundred images, trained by a queue worker (training/supervise.py): Stop keeping or discarding, a Discard at
the very end, a failed child's last lines. The queue itself (order, limits, labs): tests/test_queue.py."""

import pytest

from model import runs
from model.registry import Registry
from model.spec import ArchSpec
from model.workspace import PERSONAL
from training.config import TrainConfig
from training.queue import RunRefused, TrainQueue
from training.runner import RunState

ARCH = ArchSpec.simple([16])
LONG = TrainConfig(epochs=200, batch_size=16, train_limit=1000)  # far more than a test lets it run
WAIT = 240  # seconds: generous, the machine is shared; tests wait on conditions, never on the clock


@pytest.fixture(autouse=True)
def no_standby(monkeypatch):
    """No warmed-up TensorFlow child left waiting after a test's run."""
    monkeypatch.setenv("DIGITLAB_TRAIN_STANDBY", "0")


def ended(state: RunState) -> bool:
    return state.status in runs.ENDED


# --- the state machine, fed the lines `python -m training fit --json` prints ------------------


def test_state_follows_batches_epochs_and_the_result():
    s = RunState(status="starting", name="n", epochs=2, started=100.0)
    s.apply(
        {
            "event": "batch",
            "epoch": 1,
            "epochs": 2,
            "batch": 10,
            "batches": 40,
            "loss": 1.5,
            "accuracy": 0.5,
            "elapsed": 2.0,
        }
    )
    assert (s.status, s.progress, s.eta) == ("training", 10 / 80, pytest.approx(14.0))
    assert s.trace == [{"x": 0.25, "loss": 1.5, "accuracy": 0.5}]
    s.apply(
        {
            "event": "epoch",
            "epoch": 1,
            "epochs": 2,
            "loss": 1.0,
            "accuracy": 0.7,
            "val_loss": 0.9,
            "val_accuracy": 0.72,
            "elapsed": 8.0,
            "learning_rate": 0.001,
        }
    )
    assert s.progress == 0.5 and s.history[0]["val_accuracy"] == 0.72 and s.status == "training"
    s.apply(
        {
            "event": "epoch",
            "epoch": 2,
            "epochs": 2,
            "loss": 0.5,
            "accuracy": 0.8,
            "val_loss": 0.6,
            "val_accuracy": 0.8,
            "elapsed": 16.0,
            "learning_rate": 0.001,
        }
    )
    assert (s.status, s.progress, s.eta) == ("evaluating", 1.0, None)
    s.apply(
        {
            "event": "result",
            "name": "n",
            "accuracy": 0.81,
            "loss": 0.55,
            "train_seconds": 16.0,
            "epochs": 2,
            "best_epoch": 2,
            "params": 12730,
            "stopped": False,
        }
    )
    s.finish(0, "")
    assert s.status == "done" and s.result["accuracy"] == 0.81 and s.elapsed() == s.finished - 100.0


def test_a_failed_child_is_told_in_its_own_sentence():
    s = RunState(status="starting", name="n", epochs=1)
    s.finish(2, "some warning\nerror: a model named 'n' already exists; choose another name.\n")
    assert s.status == "failed" and s.error == "A model named 'n' already exists; choose another name."
    s = RunState(status="training", name="n", epochs=1)
    s.finish(-9, "Traceback ...")
    assert s.status == "failed" and "exit code -9" in s.error


def test_a_stop_without_a_saved_result_is_a_discard():
    s = RunState(status="stopping", name="n", epochs=1, stop_choice="keep")
    s.finish(-15, "")  # stopped before the child had installed its handler: nothing was written
    assert s.status == "discarded"


# --- real runs in a child process, through the queue ------------------------------------------


def test_a_second_press_is_refused_while_it_trains_then_stop_keeps_the_best_weights(digitlab_home, workers):
    q = TrainQueue(digitlab_home, PERSONAL)
    q.start("long-run", ARCH, LONG)
    workers()
    q.wait(lambda s: len(s.history) >= 1 or ended(s), WAIT)  # one finished epoch, so there are best weights
    with pytest.raises(RunRefused, match="^Your lab already has a run queued or training"):
        q.start("second", ARCH, TrainConfig(epochs=1, train_limit=500))
    q.stop(keep=True)
    state = q.wait(ended, WAIT)
    assert state.status == "stopped" and state.result["stopped"] and state.epoch < 200
    assert state.result["best_epoch"] >= 1
    assert Registry(digitlab_home).exists("long-run") and not Registry(digitlab_home).exists("second")


def test_stop_and_discard_saves_nothing(digitlab_home, workers):
    q = TrainQueue(digitlab_home, PERSONAL)
    q.start("thrown-away", ARCH, LONG)
    workers()
    q.wait(lambda s: s.status == "training" or ended(s), WAIT)
    q.stop(keep=False)
    state = q.wait(ended, WAIT)
    assert state.status == "discarded" and state.stop_choice == "discard" and state.epoch < 200
    assert not Registry(digitlab_home).exists("thrown-away")
    assert not list((digitlab_home / "models").iterdir())  # no file, not even a temporary one
    q.dismiss()
    assert q.snapshot().status == "idle"


# --- issue #16: what the page says must match the registry; a failed run shows its last lines -----


def test_a_discard_after_the_result_keeps_the_saved_model_and_says_so():
    s = RunState(status="evaluating", name="n", epochs=1, started=100.0)
    s.apply(
        {
            "event": "result",
            "name": "n",
            "accuracy": 0.9,
            "loss": 0.3,
            "train_seconds": 1.0,
            "epochs": 1,
            "best_epoch": 1,
            "params": 10,
            "stopped": False,
        }
    )
    s.stop_choice = "discard"  # pressed while the child was shutting down, after it had saved
    s.finish(-10, "")  # SIGUSR1 arrived once Python had let go of its handler
    assert s.status == "done" and s.late_discard  # the page says "already saved", the registry holds it


def test_a_model_in_the_registry_is_reported_even_without_its_result_line():
    s = RunState(status="stopping", name="n", epochs=5, started=100.0, stop_choice="discard")
    s.finish(
        -9,
        "",
        saved={
            "name": "n",
            "accuracy": 0.9,
            "loss": 0.3,
            "train_seconds": 1.0,
            "epochs": 5,
            "best_epoch": 0,
            "params": 10,
            "stopped": False,
        },
    )
    assert s.status == "done" and s.late_discard and s.result["accuracy"] == 0.9


def test_a_discard_during_the_evaluation_saves_nothing(digitlab_home, mnist):
    """The run has trained all its epochs when Discard arrives: train_and_register asks right before saving."""
    from training.run import train_and_register

    (x, y), (xt, yt) = mnist
    outcome = train_and_register(
        "late",
        ARCH,
        TrainConfig(epochs=1, batch_size=64, train_limit=500),
        (x, y),
        (xt[:500], yt[:500]),
        Registry(digitlab_home),
        discard=lambda: True,
    )
    assert outcome.record is None and not outcome.fit.stopped
    assert not Registry(digitlab_home).exists("late")


def test_stop_and_discard_at_the_end_of_training_matches_the_registry(digitlab_home, workers):
    """Stop -> Discard pressed once the last epoch is reported (the panel says it is measuring accuracy)."""
    q = TrainQueue(digitlab_home, PERSONAL)
    q.start("end-run", ARCH, TrainConfig(epochs=1, batch_size=32, train_limit=600))
    workers()
    q.wait(lambda s: s.status == "evaluating" or ended(s), WAIT)
    q.stop(keep=False)
    state = q.wait(ended, WAIT)
    saved = Registry(digitlab_home).exists("end-run")
    assert state.stop_choice == "discard", "the run ended before Discard reached the store"
    assert (state.status, saved) in (("discarded", False), ("done", True)), (state.status, saved)
    assert state.late_discard == saved  # "already saved" exactly when it is


CRASH = "import sys; sys.stdin.read(); print('boom: the last line', file=sys.stderr); sys.exit(3)"


def test_a_failed_run_keeps_its_last_stderr_lines_on_the_page_and_in_the_server_log(digitlab_home, capsys):
    s = RunState(status="training", name="n", epochs=1)
    s.finish(
        1,
        'Traceback (most recent call last):\n  File "x.py", line 1\nValueError: Seed must be between 0 and 2**32 - 1\n',
    )
    assert s.status == "failed" and "last lines are below" in s.error
    assert s.stderr_tail.endswith("ValueError: Seed must be between 0 and 2**32 - 1")

    import subprocess
    import sys
    import tempfile

    from training.runner import _Child
    from training.supervise import Standby, supervise

    class Crashing(Standby):
        """A worker's standby whose child dies as a run would on an unexpected error."""

        def take(self) -> _Child:
            child = object.__new__(_Child)
            child.stderr = tempfile.TemporaryFile()
            child.process = subprocess.Popen(
                [sys.executable, "-c", CRASH],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=child.stderr,
                text=True,
            )
            return child

    q = TrainQueue(digitlab_home, PERSONAL)
    run = q.start("broken", ARCH, TrainConfig(epochs=1, train_limit=300))
    assert supervise(digitlab_home, run.id, Crashing(digitlab_home, enabled=False)) == "failed"
    state = q.snapshot()  # what the page shows: ui/train/live.py puts the tail under the sentence
    assert state.status == "failed" and "exit code 3" in state.error and "last lines are below" in state.error
    assert state.stderr_tail == "boom: the last line"
    log = capsys.readouterr().err
    assert "training 'broken' failed (exit code 3)" in log and "boom: the last line" in log


def test_a_child_that_refuses_the_run_fails_it_in_its_own_sentence(digitlab_home, workers):
    """A real `training fit` that stops at once on a name the lab already has: its one-line error is the page's."""
    q = TrainQueue(digitlab_home, PERSONAL)
    q.start("taken", ARCH, TrainConfig(epochs=1, batch_size=32, train_limit=300))
    workers()
    first = q.wait(ended, WAIT)
    assert first.status == "done", first.error
    q.dismiss()
    q.start("taken", ARCH, TrainConfig(epochs=1, batch_size=32, train_limit=300))  # the form checks; the queue not
    state = q.wait(ended, WAIT)
    assert state.status == "failed" and state.error == "A model named 'taken' already exists; choose another name."
    assert Registry(digitlab_home).get("taken").accuracy == pytest.approx(first.result["accuracy"])  # untouched
