"""bench/pen_proxy.py: MNIST digits turned into pendigits-style trajectories (8 points, each axis 0..100, y up)."""

from __future__ import annotations

import numpy as np

from bench.pen_proxy import POINTS, optdigits, trajectories


def gamma() -> np.ndarray:
    """A 'Γ': a bar along the top, a stem down the left side."""
    image = np.zeros((28, 28), np.uint8)
    image[6:9, 8:22] = 255
    image[6:24, 8:11] = 255
    return image


def test_each_axis_spans_the_grid_and_y_points_up():
    (traj,) = trajectories(gamma()[None], np.array([7]), np.random.default_rng(0), styled=0.0)
    assert traj.shape == (POINTS, 2)
    assert traj.min(axis=0).tolist() == [0, 0] and traj.max(axis=0).tolist() == [100, 100]
    right = traj[traj[:, 0] == 100]  # the far end of the bar is at the top: y up
    assert (right[:, 1] > 80).all()
    bottom = traj[traj[:, 1] == 0]  # the foot of the stem is on the left
    assert (bottom[:, 0] < 20).all()


def test_a_styled_seven_gets_a_crossbar_or_a_tick():
    plain, crossed = (
        trajectories(gamma()[None], np.array([7]), np.random.default_rng(0), styled=share)[0] for share in (0.0, 1.0)
    )
    assert not np.array_equal(plain, crossed)


def test_optdigits_scans_come_framed_like_mnist_digits():
    images, labels = optdigits()
    assert images.shape == (1797, 28, 28) and images.dtype == np.uint8
    assert sorted(set(labels.tolist())) == list(range(10))
    rows, cols = np.nonzero(images[0] > 64)
    assert max(np.ptp(rows), np.ptp(cols)) + 1 <= 21  # the longer side is about 20 px, as to_mnist makes it
    ink = images.reshape(len(images), -1).astype(float)
    centre = (ink @ np.repeat(np.arange(28), 28)) / ink.sum(axis=1)  # each digit's centre of mass, row
    assert np.abs(centre - 13.5).max() < 1.0
