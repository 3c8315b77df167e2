"""AppTest for the Inside page (pages/3_Inside.py), its deep links and bad input, and the "why this digit and not
that one" view on the Draw page and in the Errors dialog.

AppTest cannot click a plotly chart: the tests set what the click callbacks set (inside_layer, inside_unit,
inside_tab) and check the click targets' data; tests/e2e/test_inside.py clicks for real.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from model import Classifier, neurons, to_mnist
from model.contrast import contrast, runner_up
from model.network import build_model
from model.registry import Registry
from model.spec import ArchSpec
from model.store import ModelMeta
from tests.conftest import REPO
from tests.test_draw_page import mnist_on_canvas, run_with
from tests.test_errors_page import add_model, array
from training import confusion

PAGE = "pages/3_Inside.py"
TIMEOUT = 120


@pytest.fixture(scope="module")
def bundled(mnist):
    classifier = Classifier.load("default")
    _, (x_test, _) = mnist
    return classifier, neurons.record(classifier, x_test)


def inside(params: dict | None = None, **state) -> AppTest:
    """The Inside page as a sidebar click or a followed link opens it: app.py first, then the page."""
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=TIMEOUT).run()
    at.switch_page(PAGE)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def figure(at: AppTest, key: str) -> dict:
    return json.loads(next(c for c in at.get("plotly_chart") if c.key == key).proto.spec)


def digit_buttons(at: AppTest, row: str) -> list[str]:
    return [b.label for b in at.button if b.key.startswith(f"{row}_")]


def test_the_page_opens_on_the_first_unit_and_mirrors_it_in_the_url(bundled):
    classifier, rec = bundled
    at = inside()
    assert not at.exception and not at.warning
    view = neurons.neuron(classifier, rec, 1, 0)
    assert "Layer 1 · unit 0" in texts(at.subheader)
    assert metric(at, "Fires on") == f"{view.active_share:.1%}"
    assert metric(at, "On your drawing") == "—"
    assert digit_buttons(at, "inside_top") == [f"#{i}" for i in view.top]
    assert digit_buttons(at, "inside_bottom") == [f"#{i}" for i in view.bottom]
    weights = figure(at, "inside_picture")["data"][0]
    assert weights["type"] == "heatmap"
    assert dict(at.query_params) == {"model": "default", "layer": "1", "unit": "0"}


def test_a_deep_link_opens_its_unit_and_a_typed_unit_updates_the_url(bundled):
    classifier, rec = bundled
    at = inside({"model": "default", "layer": "2", "unit": "711"})
    assert not at.exception and not at.warning
    assert "Layer 2 · unit 711" in texts(at.subheader)
    assert digit_buttons(at, "inside_top") == [f"#{i}" for i in neurons.neuron(classifier, rec, 2, 711).top]
    votes = figure(at, "inside_votes")["data"][0]  # the last hidden layer votes for the ten digits
    assert np.allclose(array(votes["y"]), classifier.layers[-1].kernel[711], atol=1e-6)

    at.number_input(key="inside_unit").set_value(12).run()
    assert "Layer 2 · unit 12" in texts(at.subheader)
    assert at.query_params["unit"] == "12" and at.query_params["layer"] == "2"
    at.run()  # the URL the page wrote does not count as a new link: the unit stays
    assert at.session_state["inside_unit"] == 12


@pytest.mark.parametrize(
    "params,sentence",
    [
        ({"layer": "7"}, "there is no layer 7, so this shows layer 1"),
        ({"layer": "1", "unit": "1024"}, "there is no unit 1024, so this shows unit 0"),
        ({"unit": "-3"}, "there is no unit -3"),
        ({"layer": "two"}, "The link's layer 'two' is not a whole number"),
        ({"unit": "17x"}, "The link's unit '17x' is not a whole number"),
        ({"model": "nope", "unit": "3"}, "There is no model named 'nope'"),
    ],
)
def test_bad_links_get_one_sentence_and_a_valid_unit(params, sentence):
    at = inside(params)
    assert not at.exception
    assert any(sentence in w for w in texts(at.warning)), texts(at.warning)
    assert len(at.warning) == 1
    layer, unit = at.session_state["inside_layer"], at.session_state["inside_unit"]
    assert at.session_state["inside_model"] == "default" and 1 <= layer <= 2 and 0 <= unit < 1024
    assert at.query_params["unit"] == str(unit)


def test_a_model_deleted_in_another_tab_falls_back_to_the_active_one():
    add_model("other", 0.05)
    at = inside({"model": "other", "layer": "1", "unit": "5"})
    assert not at.warning and at.session_state["inside_model"] == "other"
    Registry().delete("other")
    # a fresh run carrying the session's choice (AppTest cannot rerun a selectbox with a custom label)
    at = inside(
        inside_model="other",
        inside_synced={"model": "other", "layer": "1", "unit": "5"},
        params={"model": "other", "layer": "1", "unit": "5"},
    )
    assert not at.exception
    assert any("'other' no longer exists" in w for w in texts(at.warning))
    assert at.session_state["inside_model"] == "default" and at.query_params["model"] == "default"


def test_the_overview_is_one_image_with_a_click_target_per_unit():
    at = inside({"layer": "1", "unit": "517"}, inside_tab="Layer overview")
    assert not at.exception
    spec = figure(at, "inside_overview")
    image, targets = spec["data"]
    assert image["type"] == "image" and image["source"].startswith("data:image/png;base64,")
    assert targets["type"] == "scatter" and targets["marker"]["opacity"] == 0
    custom = targets["customdata"]
    assert array(custom).tolist() == list(range(1024))
    assert len(at.get("plotly_chart")) == 1  # 1,024 tiles, one element
    assert [p.key for p in at.get("button_group")][:1] == ["inside_busy_1"]


def test_a_picked_busy_unit_opens_in_the_inspector(bundled):
    _, rec = bundled
    busiest = neurons.layer_summary(rec, 2).busiest[0]
    at = inside(inside_tab="Layer overview")
    at.button_group(key="inside_busy_2").set_value(busiest).run()
    assert not at.exception
    assert at.session_state["inside_tab"] == "Neuron"
    assert f"Layer 2 · unit {busiest}" in texts(at.subheader)


def test_the_hidden_space_maps_every_test_digit(mnist):
    at = inside(inside_tab="Hidden space", inside_point=42)
    assert not at.exception
    traces = figure(at, "inside_map")["data"]
    assert sum(len(array(t["customdata"])) for t in traces[:10]) == 10_000
    assert [t["name"] for t in traces[:10]] == [str(d) for d in range(10)]
    assert any(m.startswith("**Test digit #42**") for m in texts(at.markdown))


def test_a_drawing_carries_over_from_the_draw_page(bundled, mnist):
    classifier, _ = bundled
    _, (x_test, _) = mnist
    image = mnist_on_canvas(x_test[0])
    at = run_with(image)  # the Draw page reads it
    assert not at.exception
    expected = neurons.drawing_activation(classifier, to_mnist(np.asarray(image)), 1, 0)
    at.switch_page(PAGE).run()
    assert not at.exception
    assert metric(at, "On your drawing") == f"{expected:.3f}"
    at.session_state["inside_tab"] = "Hidden space"
    at.run()
    assert not at.exception and digit_buttons(at, "inside_nearest")
    assert any(t["name"] == "your drawing" for t in figure(at, "inside_map")["data"])


def test_the_draw_page_links_its_strongest_neurons_and_splits_the_score(bundled, mnist):
    classifier, _ = bundled
    _, (x_test, _) = mnist
    image = mnist_on_canvas(x_test[0])
    at = run_with(image)
    assert not at.exception
    links = [link.proto for link in at.get("page_link") if link.proto.label.startswith("#")]
    assert links and all(
        link.page == "Inside" and link.query_string == f"model=default&layer=2&unit={link.label[1:]}" for link in links
    )
    x = to_mnist(np.asarray(image))
    digit, second = runner_up(classifier, x)
    assert at.segmented_control(key="draw_versus").value == second
    c = contrast(classifier, x, digit, second)
    numbers = next(m for m in texts(at.markdown) if m.startswith(f"score {digit} − score {second}"))
    assert f"{c.logit_difference:+.3f}".replace("-", "−") in numbers and "✓ adds up" in numbers

    at.segmented_control(key="draw_versus").set_value((digit + 1) % 10).run()  # a digit the user picks
    assert not at.exception
    assert any(m.startswith(f"score {digit} − score {(digit + 1) % 10}") for m in texts(at.markdown))


def test_a_tanh_model_says_the_split_is_an_approximation(mnist):
    arch = ArchSpec.simple([64], "tanh")
    meta = ModelMeta(name="smooth", arch=arch)
    Registry().add(build_model(arch, seed=0), meta)
    _, (x_test, _) = mnist
    at = run_with(mnist_on_canvas(x_test[0]), AppTest.from_file(str(REPO / "app.py"), default_timeout=TIMEOUT))
    at.session_state["draw_model"] = "smooth"
    at.run()
    assert not at.exception
    numbers = next(m for m in texts(at.markdown) if m.startswith("score "))
    assert "residual" in numbers and "Approximate: tanh is not piecewise linear" in numbers


def test_the_errors_dialog_explains_a_mistake_against_the_true_digit():
    reference = confusion.evaluate_on(Classifier.load("default"), confusion.mnist_test())
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=TIMEOUT).run()
    at.switch_page("pages/2_Errors.py")
    at.session_state["errors_cell"] = (4, 9)
    at.run()
    pos = confusion.cell_samples(reference, 4, 9)[0]
    at.button(key=f"errors_cell_inspect_{pos}").click().run()
    assert not at.exception
    assert at.segmented_control(key=f"errors_detail_versus_{pos}").value == 4  # the true digit, not the runner-up
    assert any(m.startswith("score 9 − score 4") and "✓ adds up" in m for m in texts(at.markdown))
    links = [link.proto for link in at.get("page_link") if link.proto.label.startswith("#")]
    assert links and all(
        link.page == "Inside" and link.query_string.startswith("model=default&layer=2&unit=") for link in links
    )
