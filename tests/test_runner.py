"""The background runner: state from the CLI's JSON lines, then real child runs on a few hundred images
(start -> progress -> result in the registry; refuse a second run; stop keeping or discarding)."""

import pytest

from model.registry import Registry
from model.spec import ArchSpec
from training.config import TrainConfig
from training.runner import LOCK_NAME, Runner, RunRefused, RunState

ARCH = ArchSpec.simple([16])
WAIT = 240  # seconds: generous, the machine is shared; tests wait on conditions, never on the clock


def ended(state: RunState) -> bool:
    return state.status not in ("starting", "training", "evaluating", "stopping")


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


# --- real runs in a child process ---------------------------------------------------------------


def test_standby_run_reports_progress_and_saves_the_model(digitlab_home):
    runner = Runner(digitlab_home, standby=True)
    runner.warm_up()
    runner.start("tiny-run", ARCH, TrainConfig(epochs=2, batch_size=32, train_limit=800, validation_split=0.2))
    seen = runner.wait(lambda s: s.status == "training" or ended(s), WAIT)
    assert seen.status == "training" and seen.batches == 20 and 0 < seen.progress <= 1  # 640 images / 32
    state = runner.wait(ended, WAIT)
    assert state.status == "done", state.error
    assert [h["epoch"] for h in state.history] == [1, 2] and state.progress == 1.0
    assert state.result["name"] == "tiny-run" and state.result["params"] == ARCH.params
    record = Registry(digitlab_home).get("tiny-run")
    assert record.accuracy == pytest.approx(state.result["accuracy"])
    assert record.history == state.history and record.train["train_limit"] == 800
    assert (digitlab_home / LOCK_NAME).read_text() == ""  # the lock is free again
    runner.shutdown()


def test_second_run_is_refused_then_stop_keeps_the_best_weights(digitlab_home):
    runner = Runner(digitlab_home, standby=False)
    other_server = Runner(digitlab_home, standby=False)  # a second server process on the same data
    runner.start("long-run", ARCH, TrainConfig(epochs=200, batch_size=16, train_limit=1000))
    with pytest.raises(RunRefused, match="'long-run' is training right now"):
        runner.start("second", ARCH, TrainConfig(epochs=1, train_limit=500))
    with pytest.raises(RunRefused, match="'long-run' is training in another Digit Lab server"):
        other_server.start("third", ARCH, TrainConfig(epochs=1, train_limit=500))
    runner.wait(lambda s: len(s.history) >= 1 or ended(s), WAIT)  # one finished epoch, so there are best weights
    runner.stop(keep=True)
    state = runner.wait(ended, WAIT)
    assert state.status == "stopped" and state.result["stopped"] and state.epoch < 200
    assert state.result["best_epoch"] >= 1
    assert Registry(digitlab_home).exists("long-run")
    assert not Registry(digitlab_home).exists("second") and not Registry(digitlab_home).exists("third")


def test_stop_and_discard_saves_nothing(digitlab_home):
    runner = Runner(digitlab_home, standby=False)
    runner.start("thrown-away", ARCH, TrainConfig(epochs=200, batch_size=16, train_limit=1000))
    runner.wait(lambda s: s.status == "training" or ended(s), WAIT)
    runner.stop(keep=False)
    state = runner.wait(ended, WAIT)
    assert state.status == "discarded" and state.stop_choice == "discard" and state.epoch < 200
    assert not Registry(digitlab_home).exists("thrown-away")
    assert not list((digitlab_home / "models").iterdir())  # no file, not even a temporary one
    runner.dismiss()
    assert runner.snapshot().status == "idle"


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


def test_stop_and_discard_at_the_end_of_training_matches_the_registry(digitlab_home):
    """Stop -> Discard pressed once the last epoch is reported (the panel says it is measuring accuracy)."""
    runner = Runner(digitlab_home, standby=False)
    runner.start("end-run", ARCH, TrainConfig(epochs=1, batch_size=32, train_limit=600))
    runner.wait(lambda s: s.status == "evaluating" or ended(s), WAIT)
    runner.stop(keep=False)
    state = runner.wait(ended, WAIT)
    saved = Registry(digitlab_home).exists("end-run")
    assert (state.status, saved) in (("discarded", False), ("done", True)), (state.status, saved)
    assert state.late_discard == saved  # "already saved" exactly when it is


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

    runner = Runner(digitlab_home, standby=False)
    child = object.__new__(_Child)  # a child that dies as a run would on an unexpected error
    child.stderr = tempfile.TemporaryFile()
    child.process = subprocess.Popen(
        [sys.executable, "-c", "import sys; print('boom: the last line', file=sys.stderr); sys.exit(3)"],
        stdout=subprocess.PIPE,
        stderr=child.stderr,
        text=True,
    )
    runner._run, runner._state = child, RunState(status="starting", name="broken", epochs=1)
    runner._follow(child)
    state = runner.snapshot()
    assert state.status == "failed" and state.stderr_tail == "boom: the last line"
    log = capsys.readouterr().err
    assert "training 'broken' failed (exit code 3)" in log and "boom: the last line" in log


def test_the_run_knows_who_started_it(digitlab_home):
    runner = Runner(digitlab_home, standby=False)
    runner.start("owned", ARCH, TrainConfig(epochs=1, train_limit=300, batch_size=32), owner="tab-a")
    assert runner.snapshot().owner == "tab-a"
    runner.stop(keep=False)
    assert runner.wait(ended, WAIT).owner == "tab-a"
