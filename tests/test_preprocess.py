"""to_mnist: the one preprocessing path, checked for the invariances MNIST's recipe promises."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from model import to_mnist
from model.preprocess import BOX_SIDE, IMAGE_SIDE, preprocess_steps


def drawing(size=280, box=(100, 60, 160, 220), width=18, background=(0, 0, 0, 0), ink=(0, 0, 0, 255), mode="RGBA"):
    """A '7'-ish polyline inside `box` (left, top, right, bottom) on a canvas, like the browser sends."""
    image = Image.new(mode, (size, size), background)
    left, top, right, bottom = box
    ImageDraw.Draw(image).line([(left, top), (right, top), (left + (right - left) // 3, bottom)], fill=ink, width=width)
    return image


def centre_of_mass(x):
    r = np.arange(IMAGE_SIDE)
    return (r @ x.sum(1)) / x.sum(), (r @ x.sum(0)) / x.sum()


def test_output_is_28x28_float_in_unit_range():
    x = to_mnist(np.asarray(drawing()))
    assert x.shape == (28, 28) and x.dtype == np.float32
    assert x.min() >= 0 and x.max() == pytest.approx(1.0)


def test_longer_side_is_20_pixels_and_mass_is_centred():
    x = to_mnist(np.asarray(drawing()))
    rows, cols = np.flatnonzero(x.max(1) > 0.05), np.flatnonzero(x.max(0) > 0.05)
    assert max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1) in (BOX_SIDE, BOX_SIDE + 1)
    cy, cx = centre_of_mass(x)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5


def test_translation_invariance():
    a = to_mnist(np.asarray(drawing(box=(20, 20, 80, 180))))
    b = to_mnist(np.asarray(drawing(box=(190, 90, 250, 250))))
    assert np.abs(a - b).max() < 1e-5


def test_scale_invariance():
    small = to_mnist(np.asarray(drawing(box=(100, 100, 130, 160), width=9)))  # 4x smaller
    large = to_mnist(np.asarray(drawing(box=(40, 20, 160, 260), width=36)))
    assert np.abs(small - large).mean() < 0.03  # same digit, same size in the field


@pytest.mark.parametrize(
    "background,ink,mode",
    [
        ((0, 0, 0, 0), (0, 0, 0, 255), "RGBA"),  # black ink on a transparent canvas
        ((0, 0, 0, 0), (255, 255, 255, 255), "RGBA"),  # white ink on a transparent canvas
        ((255, 255, 255), (0, 0, 0), "RGB"),  # dark ink on white paper
        ((0, 0, 0), (255, 255, 255), "RGB"),  # light ink on black
        (255, 0, "L"),  # grey, dark on light
        (30, 220, "L"),  # grey, light on dark grey
    ],
)
def test_polarity_and_alpha_give_the_same_digit(background, ink, mode):
    reference = to_mnist(np.asarray(drawing()))
    x = to_mnist(np.asarray(drawing(background=background, ink=ink, mode=mode)))
    assert np.abs(x - reference).max() <= 2 / 255  # weaker contrast only changes the 8-bit rounding


def test_pil_image_and_array_agree():
    image = drawing()
    assert np.array_equal(to_mnist(image), to_mnist(np.asarray(image)))


@pytest.mark.parametrize(
    "blank",
    [
        np.zeros((280, 280, 4), np.uint8),  # empty transparent canvas
        np.full((280, 280, 3), 255, np.uint8),  # white paper
        np.full((50, 60), 17, np.uint8),  # flat grey
    ],
)
def test_blank_is_none(blank):
    assert to_mnist(blank) is None


def test_mnist_digit_is_a_fixed_point(mnist):
    """An MNIST test digit already is MNIST-style: preprocessing it again barely changes it."""
    (_, _), (x_test, _) = mnist
    diffs = [np.abs(to_mnist(img) - img / 255).mean() for img in x_test[:200]]
    assert np.median(diffs) < 0.03


def test_steps_explain_the_output():
    steps = preprocess_steps(np.asarray(drawing()))
    assert max(steps.box.shape) == BOX_SIDE
    top, left, bottom, right = steps.bbox
    assert (bottom - top) > (right - left)  # the drawn 7 is taller than wide
    assert np.array_equal(steps.image, to_mnist(np.asarray(drawing())))


def test_rejects_wrong_shapes_and_types():
    with pytest.raises(ValueError):
        to_mnist(np.zeros((28, 28, 2), np.uint8))
    with pytest.raises(ValueError):
        to_mnist(np.zeros((28, 28), np.float64))
