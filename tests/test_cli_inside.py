"""`python -m model neuron` and `python -m model explain` as a user runs them: JSON that agrees with the library,
contributions that add up, and one sentence + exit 2 for bad input."""

import ast
import json

import numpy as np
import pytest

from model import Classifier, neurons, to_mnist
from model.images import load_image
from tests.conftest import REPO
from tests.test_cli import digit_png, errors, run


@pytest.fixture(scope="module")
def bundled():
    return Classifier.load("default")


def test_neuron_json_matches_the_library(bundled, mnist, digitlab_home):
    done = run("model", "neuron", "--layer", "2", "--unit", "119", "--json", home=digitlab_home)
    assert done.returncode == 0, done.stderr
    (out,) = [json.loads(line) for line in done.stdout.splitlines()]
    _, (x_test, _) = mnist
    view = neurons.neuron(bundled, neurons.record(bundled, x_test), 2, 119)
    assert out["layer"] == 2 and out["unit"] == 119 and out["model"] == "default"
    assert out["top"] == list(view.top) and out["bottom"] == list(view.bottom)
    assert out["active_share"] == pytest.approx(view.active_share, abs=1e-6)
    assert out["mean_activation"] == pytest.approx(view.mean_activation, abs=1e-6)
    assert np.allclose(out["votes"], bundled.layers[-1].kernel[119], atol=1e-6)  # the last hidden layer votes


def test_model_never_imports_training():
    """model/ sits below training/ (`neuron` reads MNIST from model/mnist.py): no import of it, even in a function."""
    found = []
    for path in sorted((REPO / "model").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:  # (relative imports stay inside model/)
                names = [node.module or ""]
            else:
                continue
            found += [f"{path.relative_to(REPO)}:{node.lineno} {n}" for n in names if n.split(".")[0] == "training"]
    assert found == []


def test_explain_json_adds_up(tmp_path, bundled, digitlab_home):
    seven = digit_png(tmp_path / "seven.png")
    done = run("model", "explain", str(seven), "--versus", "1", "--json", home=digitlab_home)
    assert done.returncode == 0, done.stderr
    (out,) = [json.loads(line) for line in done.stdout.splitlines()]
    assert out["digit"] == 7 and out["versus"] == 1 and out["exact"] is True
    contributions = np.asarray(out["contributions"])
    assert contributions.shape == (28, 28)
    assert contributions.sum() + out["bias"] == pytest.approx(out["logit_difference"], abs=1e-4)
    x = to_mnist(load_image(seven))
    logits = bundled.forward(x[None])[0][-1][0]
    assert out["logit_difference"] == pytest.approx(float(logits[7] - logits[1]), abs=1e-4)

    default = run("model", "explain", str(seven), "--json", home=digitlab_home)  # no --versus: the runner-up
    order = np.argsort(-bundled.predict_proba(x[None])[0])
    assert json.loads(default.stdout)["versus"] == int(order[1])


@pytest.mark.parametrize(
    "args,sentence",
    [
        (["neuron", "--layer", "3", "--unit", "0"], "there is no layer 3"),
        (["neuron", "--layer", "1", "--unit", "1024"], "there is no unit 1024"),
        (["neuron", "--layer", "one", "--unit", "0"], "invalid int value: 'one'"),
        (["neuron", "--layer", "1", "--unit", "0", "--model", "nope"], "no model named 'nope'"),
        (["explain", "missing.png"], "no such file"),
        (["explain", "{seven}", "--versus", "7"], "--versus must be another digit"),
        (["explain", "{seven}", "--versus", "12"], "--versus must be a digit from 0 to 9"),
        (["explain", "{blank}"], "blank: there is no ink"),
    ],
)
def test_bad_input_gets_one_sentence_and_exit_2(tmp_path, digitlab_home, args, sentence):
    files = {"seven": digit_png(tmp_path / "seven.png"), "blank": digit_png(tmp_path / "blank.png", seven=False)}
    done = run("model", *[a.format(**files) for a in args], home=digitlab_home)
    assert done.returncode == 2
    assert len(errors(done)) == 1 and sentence in errors(done)[0], done.stderr
    assert done.stdout == ""
