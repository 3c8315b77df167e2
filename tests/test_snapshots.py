"""Recording a run's snapshots: fixed units and digits, the saved model as the reference for the recorded
weights and guesses, float16 files that round-trip, sizes, a stopped run, a damaged or missing sidecar."""

import json

import numpy as np
import pytest

from model.inference import Classifier
from model.registry import Registry
from model.snapshots import (
    N_PANEL,
    N_SUBSET,
    N_UNITS,
    SUFFIX,
    SnapshotError,
    Snapshots,
    choose_digits,
    choose_units,
    event_panel_images,
    event_weights,
    replay_of,
    sidecar_path,
)
from model.spec import N_INPUTS, ArchSpec
from model.store import read_meta
from training.config import TrainConfig
from training.run import train_and_register
from training.runner import RunState, fit_args

ARCH = ArchSpec.simple([64, 32])


def train(mnist, name, cfg, registry=None, **kwargs):
    (x_train, y_train), test = mnist
    registry = registry or Registry()
    events = []
    outcome = train_and_register(
        name, ARCH, cfg, (x_train, y_train), test, registry, on_snapshot=events.append, **kwargs
    )
    return outcome, events, registry


@pytest.fixture(scope="module")
def run(mnist, tmp_path_factory):
    """One real 3-epoch run on 1,200 images, recorded."""
    registry = Registry(tmp_path_factory.mktemp("home"))
    cfg = TrainConfig(epochs=3, batch_size=32, train_limit=1200, validation_split=0.2, seed=3)
    outcome, events, _ = train(mnist, "recorded", cfg, registry)
    meta = read_meta(outcome.record.path)
    return outcome, events, meta, replay_of(outcome.record.path, meta.replay)


def test_units_and_digits_are_chosen_the_same_way_every_time(mnist):
    _, (x_test, y_test) = mnist
    assert choose_units(1024).tolist() == choose_units(1024).tolist()
    assert len(choose_units(1024)) == N_UNITS and choose_units(1024)[[0, -1]].tolist() == [0, 1023]
    assert choose_units(10).tolist() == list(range(10))  # a small layer: every unit
    panel, subset = choose_digits(y_test)
    again = choose_digits(y_test.copy())
    assert panel.tolist() == again[0].tolist() and subset.tolist() == again[1].tolist()
    assert (
        len(panel) == N_PANEL and len(set(panel.tolist())) == N_PANEL and set(y_test[panel].tolist()) == set(range(10))
    )
    assert len(subset) == N_SUBSET and len(set(subset.tolist())) == N_SUBSET


def test_points_are_the_start_the_early_fractions_and_every_epoch(run):
    outcome, events, meta, snaps = run
    assert snaps.batches == 30  # 960 training images / 32
    assert [snaps.position(i) for i in range(snaps.points)] == [0.0, 4 / 30, 8 / 30, 15 / 30, 1.0, 2.0, 3.0]
    assert snaps.epochs == [1, 2, 3] and meta.replay["epochs"] == [1, 2, 3]
    assert [(e["epoch"], e["batch"]) for e in events] == list(zip(snaps.epoch.tolist(), snaps.batch.tolist()))
    # the train/val figures at each epoch end are the run's own history
    for e in (1, 2, 3):
        loss, accuracy, val_loss, val_accuracy = snaps.metrics[snaps.point_of_epoch(e)]
        report = outcome.fit.history[e - 1]
        assert (loss, accuracy, val_loss, val_accuracy) == pytest.approx(
            (report.loss, report.accuracy, report.val_loss, report.val_accuracy), rel=1e-6
        )
    assert np.isnan(snaps.metrics[0]).all() and np.isnan(snaps.metrics[1:4, 2:]).all()  # no val figures mid-epoch


def test_units_and_panel_stay_fixed_and_the_weights_move(run, mnist):
    _, events, _, snaps = run
    _, (x_test, y_test) = mnist
    assert snaps.units.tolist() == choose_units(64).tolist()
    panel, subset = choose_digits(y_test)
    assert snaps.panel_index.tolist() == panel.tolist() and snaps.subset_index.tolist() == subset.tolist()
    assert np.array_equal(snaps.panel_images, x_test[panel]) and np.array_equal(snaps.subset_labels, y_test[subset])
    assert all(e["units"] == len(snaps.units) for e in events) and "panel_images" in events[0]
    assert np.array_equal(event_panel_images(events[0]), x_test[panel])
    assert not any("panel_images" in e for e in events[1:])
    steps = np.abs(np.diff(snaps.weights.astype(np.float32), axis=0)).mean(axis=(1, 2))
    assert (steps > 0).all()  # every point differs from the one before
    for i, event in enumerate(events):
        assert np.array_equal(event_weights(event), snaps.weights[i])
        assert event["guesses"] == snaps.guesses(i).tolist()


def test_the_kept_epoch_matches_the_saved_model(run):
    """Reference: the saved model's own weights and NumPy predictions at the epoch whose weights were kept."""
    outcome, _, _, snaps = run
    classifier = Classifier.from_file(outcome.record.path)
    i = snaps.point_of_epoch(outcome.fit.best_epoch)
    kernel = classifier.layers[0].kernel
    np.testing.assert_array_equal(snaps.weights[i], kernel[:, snaps.units].T.astype(np.float16))
    proba = classifier.predict_proba(snaps.panel_images.astype(np.float32) / 255)
    np.testing.assert_allclose(snaps.panel_proba[i].astype(np.float32), proba, atol=1e-3)
    subset_proba = classifier.predict_proba(snaps.subset_images.astype(np.float32) / 255)
    right = subset_proba.argmax(axis=1) == snaps.subset_labels
    top_two = np.sort(subset_proba, axis=1)[:, -2:]
    clear = top_two[:, 1] - top_two[:, 0] > 1e-5  # the run's product is another BLAS call: a near-tie may flip
    assert clear.mean() > 0.99 and np.array_equal(snaps.right(i)[clear], right[clear])
    assert 0.3 < right.mean() and snaps.right(0).mean() < right.mean()  # it learned from the start


def test_float16_round_trips_and_the_file_is_checked(run, tmp_path):
    _, _, meta, snaps = run
    path = tmp_path / f"copy{SUFFIX}"
    digest = snaps.save(path)
    again = Snapshots.load(path, digest)
    assert again.weights.dtype == np.float16 and np.array_equal(again.weights, snaps.weights)
    for name in ("panel_proba", "subset_right", "panel_images", "epoch", "batch"):
        assert np.array_equal(getattr(again, name), getattr(snaps, name))
    np.testing.assert_array_equal(again.metrics, snaps.metrics)
    assert not list(tmp_path.glob(".saving-*"))  # the temporary file was renamed away


def test_the_bundled_recipe_fits_in_5_mb(tmp_path):
    """40 epochs of a 1024-unit first layer, with incompressible random weights: the worst case."""
    rng = np.random.default_rng(0)
    s, k, p, m = 4 + 40, N_UNITS, N_PANEL, N_SUBSET
    snaps = Snapshots(
        units=choose_units(1024),
        panel_index=np.arange(p, dtype=np.int32),
        panel_images=rng.integers(0, 256, (p, 28, 28), dtype=np.uint8),
        panel_labels=np.zeros(p, np.uint8),
        subset_index=np.arange(m, dtype=np.int32),
        subset_images=rng.integers(0, 256, (m, 28, 28), dtype=np.uint8),
        subset_labels=np.zeros(m, np.uint8),
        batches=446,
        epoch=np.r_[1, 1, 1, 1, 1:41].astype(np.int32),
        batch=np.r_[0, 56, 112, 223, [446] * 40].astype(np.int32),
        weights=rng.normal(0, 0.05, (s, k, N_INPUTS)).astype(np.float16),
        panel_proba=rng.random((s, p, 10)).astype(np.float16),
        metrics=rng.random((s, 4)).astype(np.float32),
        subset_right=rng.integers(0, 256, (s, m // 8), dtype=np.uint8),
    )
    path = tmp_path / f"big{SUFFIX}"
    snaps.save(path)
    assert snaps.epochs == list(range(1, 41))
    assert path.stat().st_size <= 5_000_000, path.stat().st_size


def test_a_stopped_run_keeps_the_epochs_it_finished(mnist):
    batches = []

    def stop_in_epoch_2():  # polled after every batch: stop 5 batches into epoch 2 (30 batches an epoch)
        batches.append(1)
        return len(batches) >= 35

    cfg = TrainConfig(epochs=4, batch_size=32, train_limit=1200, validation_split=0.2)
    outcome, events, registry = train(mnist, "stopped", cfg, should_stop=stop_in_epoch_2)
    assert outcome.fit.stopped and outcome.record is not None
    meta = read_meta(outcome.record.path)
    snaps = replay_of(outcome.record.path, meta.replay)
    assert snaps.epochs == [1] and meta.replay["epochs"] == [1] and snaps.points == 5
    assert events[-1]["epoch"] == 1 and events[-1]["batch"] == snaps.batches


def test_a_run_stopped_in_its_first_epoch_records_no_replay(mnist):
    cfg = TrainConfig(epochs=2, batch_size=32, train_limit=1200, validation_split=0.2)
    outcome, events, _ = train(mnist, "early-stop", cfg, should_stop=lambda: True)
    assert outcome.record is not None and read_meta(outcome.record.path).replay == {}
    assert not sidecar_path(outcome.record.path).exists() and len(events) == 1  # only the start was shown live


def test_no_snapshots_records_nothing(mnist):
    cfg = TrainConfig(epochs=1, batch_size=64, train_limit=600, snapshots=False)
    outcome, events, registry = train(mnist, "plain", cfg)
    assert events == [] and read_meta(outcome.record.path).replay == {}
    assert replay_of(outcome.record.path, {}) is None and not sidecar_path(outcome.record.path).exists()
    assert "--no-snapshots" in fit_args("x", ARCH, cfg) and "--no-snapshots" not in fit_args("x", ARCH, TrainConfig())


def test_a_damaged_or_missing_sidecar_leaves_the_model_usable(mnist):
    cfg = TrainConfig(epochs=1, batch_size=64, train_limit=600)
    outcome, _, registry = train(mnist, "fragile", cfg)
    path, replay = outcome.record.path, read_meta(outcome.record.path).replay
    sidecar = sidecar_path(path)
    data = bytearray(sidecar.read_bytes())
    data[len(data) // 2] ^= 0xFF
    sidecar.write_bytes(bytes(data))
    with pytest.raises(SnapshotError, match="damaged"):
        replay_of(path, replay)
    with pytest.raises(SnapshotError, match="damaged or not"):  # without the checksum, the archive itself fails
        Snapshots.load(sidecar)
    classifier = Classifier.load("fragile", registry)  # the model itself is untouched
    assert classifier.warning is None and classifier.name == "fragile"
    sidecar.unlink()
    with pytest.raises(SnapshotError, match="missing"):
        replay_of(path, replay)


def test_delete_removes_the_sidecar(mnist):
    outcome, _, registry = train(mnist, "gone", TrainConfig(epochs=1, batch_size=64, train_limit=600))
    sidecar = sidecar_path(outcome.record.path)
    assert sidecar.is_file()
    registry.delete("gone")
    assert not sidecar.exists() and not outcome.record.path.exists()


def test_the_run_state_keeps_the_latest_point_and_the_panel(run):
    _, events, _, _ = run
    s = RunState(status="training")
    for event in events:
        s.apply(json.loads(json.dumps({"event": "snapshot", **event})))  # as the JSON line arrives
    assert s.learning["epoch"] == 3 and s.learning["batch"] == 30 and "weights" in s.learning
    assert "panel_images" not in s.learning and len(s.learning_start["panel_labels"]) == N_PANEL
    assert s.learning_start["batch"] == 0 and s.learning_start["weights"] == events[0]["weights"]


def test_the_train_form_turns_snapshots_off():
    from training.form import FormValues, LayerRow, to_plan

    values = FormValues(layers=[LayerRow(16)], name="quiet", snapshots=False)
    assert to_plan(values, Registry()).cfg.snapshots is False
    assert to_plan(FormValues(layers=[LayerRow(16)], name="loud"), Registry()).cfg.snapshots is True
    assert FormValues.from_recipe(ARCH, TrainConfig(snapshots=False)).snapshots is False
