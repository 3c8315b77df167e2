"""model.explain: the verdict heuristics, occlusion against a brute-force reference, hidden-layer views."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from model import Classifier
from model.explain import (
    CONFIDENT,
    EMPTY,
    MAX_INK_COVER,
    MIN_INK_SPAN,
    NOT_A_DIGIT,
    UNSURE,
    UNSURE_BELOW,
    as_grid,
    hidden_layers,
    ink_problem,
    judge,
    occlusion,
    saliency,
)
from model.preprocess import preprocess_steps

SIDE = 280


def canvas(draw) -> np.ndarray:
    """A transparent 280x280 RGBA canvas with whatever `draw(ImageDraw)` paints, as the browser sends it."""
    image = Image.new("RGBA", (SIDE, SIDE), (0, 0, 0, 0))
    draw(ImageDraw.Draw(image))
    return np.asarray(image)


def seven(d):
    d.line([(90, 60), (190, 60), (120, 230)], fill=(17, 24, 39, 255), width=18)


def probs_with_top(p: float, digit: int = 3, runner_up: int = 8) -> np.ndarray:
    probs = np.full(10, (1 - p) / 9, dtype=np.float32)
    probs[digit] = p
    probs[runner_up] += 1e-3
    return probs / probs.sum()


@pytest.fixture(scope="module")
def classifier():
    return Classifier.load()


def test_empty_canvas_is_empty_and_shows_a_dash():
    verdict = judge(preprocess_steps(canvas(lambda d: None)), None)
    assert verdict.state == EMPTY and verdict.shown == "—" and verdict.digit is None


def test_a_plain_digit_passes_the_ink_checks():
    assert ink_problem(preprocess_steps(canvas(seven))) is None


def test_a_dot_is_not_a_digit():
    r = int(SIDE * MIN_INK_SPAN / 2) - 2  # a disc just under the minimum span
    steps = preprocess_steps(canvas(lambda d: d.ellipse([140 - r, 140 - r, 140 + r, 140 + r], fill=(0, 0, 0, 255))))
    verdict = judge(steps, probs_with_top(0.99))
    assert verdict.state == NOT_A_DIGIT and "dot" in verdict.reason and verdict.shown == "?"


def test_a_scribble_filling_the_canvas_is_not_a_digit():
    def scribble(d):
        for y in range(10, SIDE, 25):
            d.line([(5, y), (SIDE - 5, y + 12)], fill=(0, 0, 0, 255), width=18)

    steps = preprocess_steps(canvas(scribble))
    assert float((steps.ink_u8 >= 128).mean()) > MAX_INK_COVER
    assert judge(steps, probs_with_top(0.99)).state == NOT_A_DIGIT


def test_a_flat_dash_is_not_a_digit_but_an_upright_stroke_is():
    dash = preprocess_steps(canvas(lambda d: d.line([(40, 140), (240, 140)], fill=(0, 0, 0, 255), width=18)))
    one = preprocess_steps(canvas(lambda d: d.line([(140, 40), (140, 240)], fill=(0, 0, 0, 255), width=18)))
    assert judge(dash, probs_with_top(0.99)).state == NOT_A_DIGIT
    assert judge(one, probs_with_top(0.99)).state == CONFIDENT


def test_confidence_threshold_decides_between_sure_and_not_sure():
    steps = preprocess_steps(canvas(seven))
    sure = judge(steps, probs_with_top(UNSURE_BELOW + 0.01, digit=7))
    unsure = judge(steps, probs_with_top(UNSURE_BELOW - 0.01, digit=7, runner_up=1))
    assert sure.state == CONFIDENT and sure.shown == "7" and sure.digit == 7
    assert unsure.state == UNSURE and unsure.shown == "?" and unsure.digit == 7
    assert "7" in unsure.reason and "1" in unsure.reason  # names the top two


def test_occlusion_matches_a_patch_by_patch_reference(classifier):
    x = preprocess_steps(canvas(seven)).image
    heat = occlusion(classifier.predict_proba, x, 7, patch=4, stride=4)
    base = np.log(classifier.predict_proba(x[None])[0, 7])
    for r, c in [(4, 8), (12, 12), (0, 0)]:
        blanked = x.copy()
        blanked[r : r + 4, c : c + 4] = 0
        blanked_p = classifier.predict_proba(blanked[None])[0, 7]
        expected = base - np.log(blanked_p) if x[r : r + 4, c : c + 4].any() else 0.0
        assert heat[r : r + 4, c : c + 4] == pytest.approx(np.full((4, 4), expected), abs=1e-4)


def test_saliency_lights_up_only_drawn_pixels(classifier):
    x = preprocess_steps(canvas(seven)).image
    for method in ("Input gradient", "Occlusion"):
        heat = saliency(classifier, x, 7, method)
        assert heat.shape == (28, 28) and np.abs(heat).max() > 0
    gradient = saliency(classifier, x, 7, "Input gradient")
    assert np.all(gradient[x == 0] == 0)
    with pytest.raises(ValueError, match="saliency method"):
        saliency(classifier, x, 7, "magic")


def test_hidden_layers_report_every_hidden_layer(classifier):
    x = preprocess_steps(canvas(seven)).image
    views = hidden_layers(classifier, x)
    _, post = classifier.forward(x[None])
    assert [v.values.size for v in views] == [layer.kernel.shape[1] for layer in classifier.layers[:-1]]
    for view, out in zip(views, post[:-1]):
        assert np.allclose(view.values, out[0])
        assert 0.0 <= view.active <= 1.0
    top = int(np.argmax(post[-1][0]))
    push = views[-1].values * classifier.layers[-1].kernel[:, top]
    assert views[-1].top_units and views[-1].top_units[0] == int(np.argmax(push))


def test_as_grid_is_near_square_with_nan_padding():
    grid = as_grid(np.arange(10, dtype=np.float32))
    assert grid.shape == (3, 4)
    assert np.array_equal(grid.ravel()[:10], np.arange(10)) and np.isnan(grid.ravel()[10:]).all()
