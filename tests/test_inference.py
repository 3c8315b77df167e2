"""The NumPy fast path equals Keras; a model file read without Keras equals Keras' own load of it."""

import numpy as np
import pytest

from model.inference import Classifier, dense
from model.network import build_model
from model.registry import BUNDLED_PATH, Registry
from model.spec import ACTIVATIONS, ArchSpec, LayerSpec
from model.store import DenseWeights, ModelMeta, load_keras


def random_inputs(n=16, seed=0):
    return np.random.default_rng(seed).random((n, 28, 28), dtype=np.float32)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_fast_path_equals_keras_for_every_activation(activation):
    arch = ArchSpec((LayerSpec(32, activation, 0.3), LayerSpec(16, activation)))
    keras_model = build_model(arch, seed=3)
    classifier = Classifier.from_keras(keras_model, ModelMeta(name="t", arch=arch))
    x = random_inputs()
    expected = keras_model.predict(x, verbose=0)
    assert np.abs(classifier.predict_proba(x) - expected).max() < 1e-4


def test_softmax_regression_has_no_hidden_layers():
    arch = ArchSpec(())
    keras_model = build_model(arch, seed=0)
    classifier = Classifier.from_keras(keras_model, ModelMeta(name="t", arch=arch))
    x = random_inputs(4)
    assert np.abs(classifier.predict_proba(x) - keras_model.predict(x, verbose=0)).max() < 1e-4


def test_bundled_model_fast_path_equals_keras_on_mnist(mnist):
    _, (x_test, _) = mnist
    classifier = Classifier.load()
    x = x_test[:200].astype(np.float32) / 255
    assert np.abs(classifier.predict_proba(x) - classifier.keras_model.predict(x, verbose=0)).max() < 1e-4


def test_one_drawing_at_a_time_equals_keras(mnist):
    """A single image takes the sparse path (only its inked pixels' and active units' weight rows)."""
    _, (x_test, _) = mnist
    classifier = Classifier.load()
    x = x_test[:20].astype(np.float32) / 255
    expected = classifier.keras_model.predict(x, verbose=0)
    for image, want in zip(x, expected):
        assert np.abs(classifier.predict_proba(image[None])[0] - want).max() < 1e-5


def test_the_sparse_product_equals_the_dense_one():
    rng = np.random.default_rng(1)
    layer = DenseWeights(rng.normal(size=(300, 40)).astype(np.float32), rng.normal(size=40).astype(np.float32), "relu")
    h = np.where(rng.random((2, 300)) < 0.1, rng.random((2, 300)), 0).astype(np.float32)  # ~19% of inputs active
    assert np.allclose(dense(h, layer), h @ layer.kernel + layer.bias, atol=1e-5)  # scattered rows: gathered
    band = np.zeros((1, 300), np.float32)
    band[0, 120:200:2] = rng.random(40)  # a digit's rows between its first and last inked pixel: a view
    assert np.allclose(dense(band, layer), band @ layer.kernel + layer.bias, atol=1e-5)
    assert np.array_equal(dense(np.zeros((1, 300), np.float32), layer)[0], layer.bias)


def test_reloaded_model_equals_the_saved_one():
    arch = ArchSpec.simple([24, 12], "tanh", 0.1)
    keras_model = build_model(arch, seed=5)
    registry = Registry()
    registry.add(keras_model, ModelMeta(name="saved", arch=arch, train={"epochs": 1}))
    reloaded = Classifier.load("saved", registry)
    x = random_inputs(8)
    assert np.array_equal(reloaded.keras_model.predict(x, verbose=0), keras_model.predict(x, verbose=0))
    assert reloaded.meta.arch == arch and reloaded.meta.train == {"epochs": 1}


def test_logit_gradient_matches_finite_differences():
    arch = ArchSpec.simple([20], "gelu")
    classifier = Classifier.from_keras(build_model(arch, seed=2), ModelMeta(name="t", arch=arch))
    x = random_inputs(1)[0]
    grad = classifier.logit_gradient(x, target=3)
    pre, _ = classifier.forward(x[None])
    eps = 1e-2
    for i, j in [(5, 5), (14, 14), (20, 9)]:
        bumped = x.copy()
        bumped[i, j] += eps
        numeric = (classifier.forward(bumped[None])[0][-1][0, 3] - pre[-1][0, 3]) / eps
        assert numeric == pytest.approx(grad[i, j], abs=1e-3)


def assert_read_like_keras(classifier: Classifier, x: np.ndarray) -> None:
    """The h5py-read weights and their predictions equal keras.saving.load_model's to 1e-5."""
    keras_model = load_keras(classifier.path)  # keras.saving.load_model, safe mode
    ours = [w for layer in classifier.layers for w in (layer.kernel, layer.bias)]
    theirs = keras_model.get_weights()
    assert [w.shape for w in ours] == [w.shape for w in theirs]
    assert max(np.abs(a - b).max() for a, b in zip(ours, theirs)) < 1e-5
    dense = [layer for layer in keras_model.layers if layer.__class__.__name__ == "Dense"]
    assert [layer.activation for layer in classifier.layers] == [d.get_config()["activation"] for d in dense]
    assert np.abs(classifier.predict_proba(x) - keras_model.predict(x, verbose=0)).max() < 1e-5


def test_bundled_file_read_without_keras_equals_keras_load(mnist):
    _, (x_test, _) = mnist
    assert_read_like_keras(Classifier.from_file(BUNDLED_PATH), x_test[:500].astype(np.float32) / 255)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "gelu", "elu", "selu"])
def test_a_fresh_model_file_read_without_keras_equals_keras_load(activation):
    """Dropout after some layers and not others (the weights files' group names count per class)."""
    arch = ArchSpec((LayerSpec(32, activation, 0.3), LayerSpec(16, "relu"), LayerSpec(12, activation, 0.5)))
    record = Registry().add(build_model(arch, seed=7), ModelMeta(name=f"fresh-{activation}", arch=arch))
    assert_read_like_keras(Classifier.from_file(record.path), random_inputs(32, seed=1))


def test_keras_model_is_loaded_only_when_asked_for():
    classifier = Classifier.from_file(BUNDLED_PATH)
    assert classifier._keras_model is None
    x = random_inputs(4)
    assert np.abs(classifier.predict_proba(x) - classifier.keras_model.predict(x, verbose=0)).max() < 1e-5
    assert classifier.keras_model is classifier.keras_model  # loaded once
