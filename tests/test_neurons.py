"""model.neurons, model.contrast and model.hidden_space against references: a Keras sub-model's ranking on the
same test set, Keras' own logits, the Dense kernel itself, and brute-force sums."""

import numpy as np
import pytest

from model import Classifier, neurons
from model.contrast import contrast, runner_up
from model.hidden_space import fit_map, nearest
from model.network import build_model
from model.spec import ArchSpec
from model.store import ModelMeta

UNITS_CHECKED = 4  # per layer: units whose top activations are clearly apart, so the ranking does not hang on rounding


@pytest.fixture(scope="module")
def bundled():
    return Classifier.load("default")


@pytest.fixture(scope="module")
def recording(bundled, mnist):
    _, (x_test, _) = mnist
    return neurons.record(bundled, x_test)


def keras_dense_outputs(classifier, x: np.ndarray, layer: int) -> np.ndarray:
    """(n, units): the `layer`-th Dense layer's output, from a Keras sub-model of the loaded model."""
    import keras

    model = classifier.keras_model
    dense = [layer for layer in model.layers if layer.__class__.__name__ == "Dense"][layer - 1]
    sub = keras.Model(model.inputs, dense.output)
    return np.asarray(sub.predict(x, batch_size=2500, verbose=0))


@pytest.mark.parametrize("layer", [1, 2])
def test_top_equals_the_ranking_of_a_keras_sub_model(bundled, recording, mnist, layer):
    _, (x_test, _) = mnist
    keras_out = keras_dense_outputs(bundled, x_test.astype(np.float32) / 255, layer)
    checked = 0
    for unit in range(0, keras_out.shape[1], 7):  # a spread of units, any weights: skip dead or near-tied ones
        column = keras_out[:, unit]
        order = np.argsort(-column, kind="stable")
        if -np.diff(column[order[: neurons.SHOWN + 1]]).min() <= 1e-4:
            continue
        expected = order[: neurons.SHOWN]
        view = neurons.neuron(bundled, recording, layer, unit)
        assert list(view.top) == expected.tolist()
        assert view.active_share == pytest.approx(float((column > 0).mean()), abs=2e-4)
        assert view.mean_activation == pytest.approx(float(column.mean()), abs=1e-4)
        checked += 1
        if checked == UNITS_CHECKED:
            break
    assert checked == UNITS_CHECKED, "too few units with a clear top 9 to compare"


def test_bottom_is_the_most_inhibited_and_the_histogram_counts_every_digit(bundled, recording):
    view = neurons.neuron(bundled, recording, 1, 17)
    pre = recording.pre[0][:, 17]
    assert list(view.bottom) == np.argsort(pre, kind="stable")[: neurons.SHOWN].tolist()
    assert not set(view.top) & set(view.bottom)
    assert view.histogram[0].sum() == pre.size
    assert np.allclose(view.values, np.maximum(pre, 0))


def test_the_weight_image_is_the_dense_kernels_column(bundled):
    kernel = bundled.keras_model.get_layer(
        index=[i for i, layer in enumerate(bundled.keras_model.layers) if layer.__class__.__name__ == "Dense"][0]
    ).get_weights()[0]
    for unit in (0, 17, 1023):
        picture = neurons.weight_image(bundled, unit)
        assert picture.shape == (28, 28)
        assert np.array_equal(picture.ravel(), kernel[:, unit])  # row-major: pixel (r, c) is input r * 28 + c
        assert picture[3, 5] == kernel[3 * 28 + 5, unit]


def test_the_mosaic_puts_unit_k_at_row_k_div_cols(bundled):
    pictures = bundled.layers[0].kernel.T.reshape(-1, 28, 28)
    tiles = neurons.mosaic(pictures, cols=32)
    assert tiles.shape == (32 * 29 - 1, 32 * 29 - 1)
    r, c = divmod(517, 32)
    tile = tiles[r * 29 : r * 29 + 28, c * 29 : c * 29 + 28]
    assert np.allclose(tile, pictures[517] / np.abs(pictures[517]).max())
    assert np.isnan(tiles[28, :]).all()  # the gap under the first row


def test_layer_summary_dead_units_never_fire(recording):
    summary = neurons.layer_summary(recording, 1)
    pre = recording.pre[0]
    assert all((pre[:, u] <= 0).all() for u in summary.dead)
    assert len(summary.dead) == int(((pre > 0).sum(axis=0) == 0).sum())
    shares = (pre > 0).mean(axis=0)
    assert shares[summary.busiest[0]] == shares.max()


def test_out_of_range_layers_and_units_get_one_sentence(bundled, recording):
    with pytest.raises(neurons.NeuronError, match="no layer 3"):
        neurons.neuron(bundled, recording, 3, 0)
    with pytest.raises(neurons.NeuronError, match="no unit 1024"):
        neurons.neuron(bundled, recording, 1, 1024)
    with pytest.raises(neurons.NeuronError, match="no layer 0"):
        neurons.check(bundled, 0)


def keras_logits(classifier, x: np.ndarray) -> np.ndarray:
    """(n, 10) scores before the softmax: a Keras sub-model up to the last hidden layer, then its last Dense kernel."""
    h = keras_dense_outputs(classifier, x, len(classifier.layers) - 1)
    kernel, bias = [layer for layer in classifier.keras_model.layers if layer.__class__.__name__ == "Dense"][
        -1
    ].get_weights()
    return h.astype(np.float64) @ kernel + bias


def test_contributions_plus_bias_reproduce_keras_logit_difference(bundled, mnist):
    _, (x_test, _) = mnist
    x = x_test[:12].astype(np.float32) / 255
    logits = keras_logits(bundled, x)
    for i in range(len(x)):
        digit, second = runner_up(bundled, x[i])
        for versus in (second, (digit + 3) % 10):
            c = contrast(bundled, x[i], digit, versus)
            assert c.exact and c.contributions.shape == (28, 28)
            assert c.contributions.sum() + c.bias == pytest.approx(logits[i, digit] - logits[i, versus], abs=1e-4)
            assert abs(c.residual) < 1e-4
            assert np.all(c.contributions[x[i] == 0] == 0)  # blank pixels contribute nothing


def test_for_a_smooth_activation_the_split_is_an_approximation_with_its_residual(mnist):
    _, (x_test, _) = mnist
    arch = ArchSpec.simple([32, 16], "tanh")
    classifier = Classifier.from_keras(build_model(arch, seed=1), ModelMeta(name="t", arch=arch))
    x = x_test[0].astype(np.float32) / 255
    c = contrast(classifier, x, 3, 5)
    logits = keras_logits(classifier, x[None])[0]
    assert not c.exact and c.approximate
    assert c.logit_difference == pytest.approx(logits[3] - logits[5], abs=1e-4)
    assert c.contributions.sum() + c.bias + c.residual == pytest.approx(c.logit_difference, abs=1e-9)
    assert abs(c.residual) > 1e-6  # tanh is curved: the slope-frozen split leaves something out


def test_the_hidden_map_is_the_top_two_principal_directions(recording):
    hidden = neurons.output(recording.pre[-1], "relu")[:2000].astype(np.float64)
    space = fit_map(hidden)
    centred = hidden - hidden.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    for k in range(2):  # the same directions as an SVD (up to sign), and their variance shares
        assert abs(float(space.axes[:, k] @ vt[k])) == pytest.approx(1.0, abs=1e-4)
        assert space.explained[k] == pytest.approx(s[k] ** 2 / (s**2).sum(), rel=1e-4)
    assert np.allclose(space.project(hidden[:5]), space.xy[:5], atol=1e-3)
    idx = nearest(hidden, hidden[42], k=5)
    d = ((hidden - hidden[42]) ** 2).sum(axis=1)
    assert idx[0] == 42 and list(idx) == np.argsort(d, kind="stable")[:5].tolist()
