"""Real pen data (training/pendigits.py): the vendored file and its checksum, and trajectories drawn like a canvas drawing."""

import hashlib

import numpy as np
import pytest
from scipy import ndimage

from bench.holdout_data import draw_trajectory
from model import to_mnist
from training.data import DataError
from training.pendigits import TRAIN_FILE, PenDataConfig, draw_pendigits, load_pendigits, skeleton_aspects

HEADER = '"","c1","c2","c3","c4","c5","c6","c7","c8","c9","c10","c11","c12","c13","c14","c15","c16","class"\n'
ONE = [47, 100, 27, 81, 57, 37, 26, 0, 0, 23, 56, 53, 100, 90, 40, 98]


def fixture_file(tmp_path, rows):
    path = tmp_path / "pen.csv"
    path.write_text(HEADER + "".join(f'"{i + 1}",' + ",".join(map(str, row)) + "\n" for i, row in enumerate(rows)))
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_vendored_rows_are_the_30_training_writers_and_match_their_checksum():
    strokes, labels = load_pendigits()  # raises if the SHA-256 differs
    assert strokes.shape == (7494, 8, 2) and strokes.dtype == np.float32 and labels.shape == (7494,)
    assert np.bincount(labels).tolist() == [780, 779, 780, 719, 780, 720, 720, 778, 719, 719]
    assert strokes.min() == 0 and strokes.max() == 100
    assert strokes[0, :, 0].tolist() == [47, 27, 57, 26, 0, 56, 100, 40] and labels[0] == 8


def test_a_tiny_file_is_read_point_by_point(tmp_path):
    path, digest = fixture_file(tmp_path, [ONE + [3], list(range(0, 80, 5)) + [9]])
    strokes, labels = load_pendigits(path, digest)
    assert strokes.shape == (2, 8, 2) and labels.tolist() == [3, 9]
    assert strokes[0, 1].tolist() == [27, 81] and strokes[1, 7].tolist() == [70, 75]


def test_a_damaged_or_missing_file_fails_with_one_sentence(tmp_path):
    path, digest = fixture_file(tmp_path, [ONE + [3]])
    path.write_text(path.read_text().replace("47", "48"))
    with pytest.raises(DataError, match=r"^The pen data file .* is damaged \(its SHA-256 does not match\); restore it"):
        load_pendigits(path, digest)
    with pytest.raises(DataError, match=r"^The pen data file .* is missing; restore it"):
        load_pendigits(tmp_path / "gone.csv", digest)
    assert TRAIN_FILE.is_file()


def ink_box(image, level=0.2):
    rows, cols = np.nonzero(image > level)
    return np.ptp(rows) + 1, np.ptp(cols) + 1


def test_skeleton_aspects_measure_the_pens_path_not_its_width():
    images = np.zeros((4, 28, 28), np.uint8)
    images[:2, 4:24, 12:16] = 255  # two 4-px-thick upright bars: 1s
    yy, xx = np.mgrid[:28, :28] - 13.5
    images[2:] = ((np.hypot(yy, xx) <= 9) & (np.hypot(yy, xx) >= 6)) * 255  # rings: 0s
    aspects = skeleton_aspects(images, np.array([1, 1, 0, 0]), np.random.default_rng(0))
    assert len(aspects) == 10 and np.all(aspects[1] < 0.15) and np.all(np.abs(aspects[0] - 1) < 0.1)
    assert aspects[5].tolist() == [1.0]  # a digit with no samples: no aspect change


def test_drawn_trajectories_are_framed_the_way_to_mnist_frames_a_canvas():
    strokes, labels = load_pendigits()
    rng = np.random.default_rng(0)
    aspects = [np.array([a], np.float32) for a in (0.8, 0.3, 0.8, 0.7, 0.7, 0.8, 0.7, 0.7, 0.7, 0.6)]
    drawn = draw_pendigits(strokes[:40], labels[:40], rng, aspects)
    assert drawn.shape == (40, 28, 28) and drawn.dtype == np.float32 and drawn.max() == 1.0
    again = np.stack([to_mnist((image * 255).astype(np.uint8)) for image in drawn])
    moved = np.abs(again - drawn).mean(axis=(1, 2))
    assert moved.mean() < 0.01 and moved.max() < 0.1  # to_mnist leaves them where they are (a 19-px box it enlarges)
    for image in drawn:
        assert 19 <= max(ink_box(image)) <= 21  # longer side 20 px, pen included
        com = np.array([np.arange(28) @ image.sum(axis=1), np.arange(28) @ image.sum(axis=0)]) / image.sum()
        assert np.abs(com - 14).max() < 1.0

    # drawn as recorded (a square), the fast drawing is what a 280x280 canvas gives through to_mnist
    square = draw_pendigits(strokes[:40], labels[:40], rng, aspects, PenDataConfig(jitter=0.0, stretched=1.0))
    canvas = np.stack([to_mnist(draw_trajectory(s, rng)) for s in strokes[:40]])
    like = []  # the same line at two random pen widths: compared a little blurred
    for fast, slow in zip(square, canvas):
        assert np.abs(np.subtract(ink_box(fast), ink_box(slow))).max() <= 2
        like.append(
            np.corrcoef(ndimage.gaussian_filter(fast, 1).ravel(), ndimage.gaussian_filter(slow, 1).ravel())[0, 1]
        )
    assert min(like) > 0.6 and np.median(like) > 0.9
    assert abs(square.mean() - canvas.mean()) < 0.03  # as much ink: pen widths like the canvas'


def test_the_aspect_is_drawn_from_the_digits_own_aspects_not_the_recorded_square():
    strokes, labels = load_pendigits()
    ones = labels == 1
    assert np.all(np.ptp(strokes[ones], axis=1) == 100)  # every recorded 1 fills the square on both axes
    rng = np.random.default_rng(1)
    thin = [np.array([1.0], np.float32)] * 10
    thin[1] = np.array([0.2, 0.3], np.float32)
    drawn = draw_pendigits(strokes[ones][:50], labels[ones][:50], rng, thin, PenDataConfig(jitter=0.0, stretched=0.0))
    ratios = np.array([w / h for h, w in map(ink_box, drawn)])
    # (0.2..0.3 of the height, plus the pen's width on both sides)
    assert np.all(ratios < 0.55) and np.median(ratios) < 0.45
    kept = draw_pendigits(strokes[ones][:50], labels[ones][:50], rng, thin, PenDataConfig(jitter=0.0, stretched=1.0))
    assert np.all([abs(w / h - 1) < 0.12 for h, w in map(ink_box, kept)])  # the stretched share stays a square
    mixed = draw_pendigits(strokes[ones][:200], labels[ones][:200], rng, thin)  # as training draws them: half and half
    square = np.mean([w / h > 0.85 for h, w in map(ink_box, mixed)])
    assert abs(square - PenDataConfig().stretched) < 0.12


def test_training_with_pen_data_and_no_pen_data_file_stops_with_one_sentence(tmp_path, monkeypatch, capsys):
    import training.pendigits
    from training.__main__ import main

    monkeypatch.setattr(training.pendigits, "TRAIN_FILE", tmp_path / "pendigits-train.csv")
    with pytest.raises(SystemExit) as stop:
        main(["fit", "--hidden", "8", "--epochs", "1", "--train-limit", "300", "--pen-data", "0.2", "--name", "no-pen"])
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert stop.value.code == 2 and len(lines) == 1 and "pen data file" in lines[0] and "is missing" in lines[0]


def test_each_epoch_replaces_the_pen_data_share_of_its_images_by_drawn_trajectories():
    from training.augment import AugmentConfig
    from training.config import TrainConfig
    from training.loop import _AugmentedEpochs

    blank = np.zeros((200, 28, 28), np.uint8)  # MNIST stand-ins without ink: whatever has ink was drawn from pen data
    blank[:, 0, 0] = 1  # (a speck, so the skeletons of the aspect table have something to measure)
    strokes, labels = load_pendigits()
    cfg = TrainConfig(epochs=2, pen_data=0.3, validation_split=0.0)
    epochs = _AugmentedEpochs(
        blank, np.zeros(200, np.int64), cfg, augment=AugmentConfig(), pen=(strokes[:50], labels[:50])
    )
    try:
        for epoch in range(2):
            x, y = epochs.get(epoch)
            drawn = x.reshape(200, -1).max(axis=1) > 0.5
            assert x.shape == (200, 28, 28) and drawn.sum() == 60  # 30% of each epoch
            # every one of the 50 trajectories drawn once, 10 of them twice, each with its own label
            counts = np.bincount(y.argmax(axis=1)[drawn], minlength=10)
            assert np.all(counts >= np.bincount(labels[:50], minlength=10)) and counts.sum() == 60
            assert drawn[:100].any() and drawn[100:].any()  # mixed in among the others, not stacked at the end
    finally:
        epochs.close()
