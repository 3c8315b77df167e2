"""bench/style_grid.py: hand-written digit styles, drawn stroke by stroke or recorded the pendigits way."""

from __future__ import annotations

import numpy as np

from bench.holdout_data import draw_strokes, draw_trajectory
from bench.style_grid import POINTS, STYLES, recorded, write


def ink_box(canvas: np.ndarray) -> tuple[int, int]:
    """(height, width) of the ink on a (280, 280, 4) canvas."""
    rows, cols = np.nonzero(canvas[:, :, 3] > 127)
    return int(np.ptp(rows)) + 1, int(np.ptp(cols)) + 1


def test_every_style_records_as_a_pendigits_row():
    rng = np.random.default_rng(0)
    for digit, styles in STYLES.items():
        for name, strokes in styles.items():
            row = recorded(write(strokes, rng))
            assert row.shape == (POINTS, 2), (digit, name)
            assert row.min(axis=0).tolist() == [0, 0] and row.max(axis=0).tolist() == [100, 100], (digit, name)


def test_written_strokes_keep_their_order_and_point_up():
    (stroke,) = write(STYLES[7]["plain"], np.random.default_rng(0))
    assert stroke[0, 1] > stroke[-1, 1]  # begins at the top of the bar, ends at the foot: y up
    assert stroke[1, 0] > stroke[0, 0]  # the bar goes to the right


def test_drawn_keeps_the_aspect_recorded_fills_a_square():
    strokes = write(STYLES[1]["stick"], np.random.default_rng(1))
    tall, wide = ink_box(draw_strokes(strokes, np.random.default_rng(2)))
    assert tall > 3 * wide
    tall, wide = ink_box(draw_trajectory(recorded(strokes), np.random.default_rng(2)))
    assert abs(tall - wide) <= 2


def test_strokes_are_drawn_apart_and_one_stroke_as_a_trajectory():
    top, bottom = np.array([[0.0, 100.0], [100.0, 100.0]]), np.array([[0.0, 0.0], [100.0, 0.0]])  # two bars
    for strokes, inked in (([top, bottom], False), ([np.concatenate([top, bottom])], True)):  # joined: a Z
        alpha = draw_strokes(strokes, np.random.default_rng(4))[:, :, 3]
        rows, cols = np.nonzero(alpha > 127)
        centre = alpha[(rows.min() + rows.max()) // 2, (cols.min() + cols.max()) // 2]
        assert (centre > 127) == inked  # the pen's move from one bar to the other is ink only when joined
    single = write(STYLES[7]["plain"], np.random.default_rng(3))[0] * 10
    assert np.array_equal(
        draw_strokes([single], np.random.default_rng(5)), draw_trajectory(single, np.random.default_rng(5))
    )
