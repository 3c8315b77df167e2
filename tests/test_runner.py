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
    s.apply({"event": "batch", "epoch": 1, "epochs": 2, "batch": 10, "batches": 40, "loss": 1.5, "accuracy": 0.5, "elapsed": 2.0})
    assert (s.status, s.progress, s.eta) == ("training", 10 / 80, pytest.approx(14.0))
    assert s.trace == [{"x": 0.25, "loss": 1.5, "accuracy": 0.5}]
    s.apply({"event": "epoch", "epoch": 1, "epochs": 2, "loss": 1.0, "accuracy": 0.7, "val_loss": 0.9,
             "val_accuracy": 0.72, "elapsed": 8.0, "learning_rate": 0.001})
    assert s.progress == 0.5 and s.history[0]["val_accuracy"] == 0.72 and s.status == "training"
    s.apply({"event": "epoch", "epoch": 2, "epochs": 2, "loss": 0.5, "accuracy": 0.8, "val_loss": 0.6,
             "val_accuracy": 0.8, "elapsed": 16.0, "learning_rate": 0.001})
    assert (s.status, s.progress, s.eta) == ("evaluating", 1.0, None)
    s.apply({"event": "result", "name": "n", "accuracy": 0.81, "loss": 0.55, "train_seconds": 16.0, "epochs": 2,
             "best_epoch": 2, "params": 12730, "stopped": False})
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
