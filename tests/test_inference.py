"""The NumPy fast path equals Keras; a reloaded model equals the saved one."""

import numpy as np
import pytest

from model.inference import Classifier
from model.network import build_model
from model.registry import Registry
from model.spec import ACTIVATIONS, ArchSpec, LayerSpec
from model.store import ModelMeta


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
    for (i, j) in [(5, 5), (14, 14), (20, 9)]:
        bumped = x.copy()
        bumped[i, j] += eps
        numeric = (classifier.forward(bumped[None])[0][-1][0, 3] - pre[-1][0, 3]) / eps
        assert numeric == pytest.approx(grad[i, j], abs=1e-3)
