"""Quick pen strokes (training/pen.py): skeletons, the pen's walk, and redrawn digits framed like to_mnist."""

import numpy as np

from model import to_mnist
from training.pen import PenConfig, draw_pen, pen_paths, thin, walks, writer_style


def ring(side=28, outer=9.0, inner=5.0) -> np.ndarray:
    yy, xx = np.mgrid[:side, :side] - (side - 1) / 2
    r = np.hypot(yy, xx)
    return (r <= outer) & (r >= inner)


def test_thin_leaves_a_one_pixel_line_that_keeps_its_shape():
    bar = np.zeros((1, 28, 28), bool)
    bar[0, 10:15, 4:24] = True  # a 5-px-thick horizontal stroke
    skeleton = thin(bar)[0]
    assert skeleton.sum() >= 14 and skeleton.sum(axis=0).max() == 1  # long, and one pixel thick
    assert not (skeleton & ~bar[0]).any()

    loop = thin(ring()[None])[0]
    assert loop.sum() > 30 and not loop[14, 14]  # still a ring around an empty centre


def test_walk_starts_at_the_top_covers_everything_and_steps_to_neighbours():
    seven = np.zeros((28, 28), bool)
    seven[5, 6:20] = True  # the bar, left to right
    for i in range(15):
        seven[6 + i, 19 - i // 2] = True  # the stem down to the left
    for path in walks(seven):
        assert tuple(path[0]) == (5, 6)  # a writer starts the 7 at its top-left end
        assert {tuple(p) for p in path.astype(int)} == set(zip(*np.nonzero(seven)))
        steps = np.abs(np.diff(path, axis=0)).max(axis=1)
        assert steps.max() == 1  # one stroke and no fork: the pen never jumps


def test_walk_moves_straight_between_separate_pieces():
    two = np.zeros((28, 28), bool)
    two[4, 4:10] = True
    two[20, 15:25] = True
    for path in walks(two):
        jumps = np.abs(np.diff(path, axis=0)).max(axis=1) > 1.5
        assert jumps.sum() == 1 and len({tuple(p) for p in path.astype(int)}) == 16


def test_a_lifted_pen_leaves_a_dead_end_by_a_straight_move_instead_of_retracing():
    tee = np.zeros((28, 28), bool)
    tee[4, 4:21] = True  # the bar of a T, drawn from its left end
    tee[5:24, 12] = True  # the stem hangs from the bar's middle
    down, lifted = walks(tee)
    assert len(down) > len(lifted)  # kept down, the pen goes back over part of what it drew
    for path in (down, lifted):
        assert {tuple(p) for p in path.astype(int)} == set(zip(*np.nonzero(tee)))
    assert (np.abs(np.diff(lifted, axis=0)).max(axis=1) > 1.5).sum() == 1  # one straight move after a dead end
    assert (np.abs(np.diff(down, axis=0)).max(axis=1) > 1.5).sum() == 0


def test_redrawn_digits_are_framed_the_way_to_mnist_frames_a_drawing():
    rng = np.random.default_rng(0)
    digits = np.zeros((3, 28, 28), np.uint8)
    digits[0, 4:24, 12:15] = 255  # a 1
    digits[1] = ring() * 255  # a 0
    digits[2, 6:9, 6:22] = 255  # a 7
    digits[2, 8:24, 16:19] = 255
    drawn = draw_pen(pen_paths(digits), rng, PenConfig(jitter=0.0))
    assert drawn.shape == (3, 28, 28) and drawn.dtype == np.float32 and drawn.max() == 1.0
    for image in drawn[:2]:  # (the 7's centre of mass is high: placed like to_mnist places it, its foot is cut off)
        again = to_mnist((image * 255).astype(np.uint8))
        assert np.abs(again - image).mean() < 0.03  # to_mnist would leave it (almost) where it is
        rows, cols = np.nonzero(image > 0.2)
        assert 19 <= max(np.ptp(rows), np.ptp(cols)) + 1 <= 21  # longer side 20 px, pen included


def test_a_redrawn_digit_keeps_its_aspect_as_on_the_canvas():
    one = np.zeros((1, 28, 28), np.uint8)
    one[0, 4:24, 13:15] = 255
    one[0, 4:9, 10:13] = 255  # a short flag
    rng = np.random.default_rng(2)
    for _ in range(5):
        kept = draw_pen(pen_paths(one), rng, PenConfig(jitter=0.0))[0]
        assert np.ptp(np.nonzero(kept > 0.2)[1]) < 10 and np.ptp(np.nonzero(kept > 0.2)[0]) >= 18


def test_fewer_points_cut_the_corners():
    rng = np.random.default_rng(1)
    zero = (ring() * 255).astype(np.uint8)[None]
    coarse = draw_pen(pen_paths(zero), rng, PenConfig(points=(5, 5), jitter=0.0))[0]
    fine = draw_pen(pen_paths(zero), rng, PenConfig(points=(40, 40), width=(2.0, 2.0), jitter=0.0))[0]
    assert np.abs(coarse - fine).sum() > 20  # a quick zero is a polygon, not a circle


def test_styled_ones_start_with_an_upstroke_and_sevens_get_a_crossbar_or_a_tick():
    rng = np.random.default_rng(3)
    stem = np.stack([np.arange(4, 24), np.full(20, 14)], 1).astype(np.float32)  # top to bottom
    one = writer_style(stem[::-1], 1, rng)  # even when traced from the foot up
    assert one[0, 0] > one[1, 0] and one[0, 1] < one[1, 1]  # starts below and left of the top...
    assert tuple(one[1]) == (4, 14) and len(one) == len(stem) + 1  # ...then runs up to it and down the stem

    seven = np.concatenate([np.stack([np.full(10, 4), np.arange(5, 15)], 1), stem[1:]]).astype(np.float32)
    crossed = ticked = backward = plain = 0
    for _ in range(60):
        styled = writer_style(seven, 7, rng)
        has_tick = styled[0, 0] > seven[0, 0]  # starts below the bar's left end, then goes up to it
        if has_tick:
            ticked += 1
            assert tuple(styled[1]) == tuple(seven[0]) and styled[0, 1] <= seven[0, 1]
        extra = len(styled) - len(seven) - has_tick
        assert extra in (0, 2)
        plain += extra == 0 and not has_tick
        if extra == 2:
            crossed += 1
            bar = styled[-2:]
            assert bar[:, 1].min() < 14 < bar[:, 1].max()  # crosses the stem...
            assert 10 <= bar[:, 0].mean() <= 19  # ...somewhere in its middle (a third to three quarters down)
            backward += bar[0, 1] > bar[1, 1]
    assert crossed > 40 and ticked > 20 and 0 < backward < crossed / 2 and plain < 10

    assert writer_style(stem, 4, rng) is stem


def test_nines_end_in_a_tail_curling_left():
    rng = np.random.default_rng(0)
    angle = np.linspace(0, 2 * np.pi, 16)
    loop = np.stack([8 - 5 * np.cos(angle), 14 + 5 * np.sin(angle)], 1)[::-1]  # closed, from the right round to it
    nine = np.concatenate([loop, np.stack([np.linspace(8, 24, 8), np.full(8, 19)], 1)]).astype(np.float32)
    curled = writer_style(nine, 9, rng)
    tail = curled[len(nine) :]
    assert len(tail) == 3 and np.all(np.diff(tail[:, 1]) < 0) and tail[0, 1] < 19  # leftwards from the foot
    assert 19 - tail[-1, 1] >= 10.5 / 3  # reaching at least a third of the 9's width to the left...
    assert tail[:, 0].max() - 24 < 0.15 * 21  # ...as a curl, not a longer stem
    assert writer_style(nine[::-1], 9, rng)[-4:-3].tolist() == [[24.0, 19.0]]  # traced from the foot up too
    closed = loop.astype(np.float32)
    assert writer_style(closed, 9, rng) is closed  # no stem to end at: nothing to curl
