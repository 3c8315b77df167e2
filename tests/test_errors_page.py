"""AppTest for the Errors page (pages/2_Errors.py) and its figure helpers.

AppTest cannot click a plotly chart, so these tests set the clicked cell the way the chart's
on_select callback does (session_state["errors_cell"]); tests/e2e/test_errors.py clicks for real.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from model import Classifier
from model.drawings import DrawingStore
from model.registry import BUNDLED_PATH, Registry
from model.store import load_keras, read_meta
from tests.conftest import page_test
from training import confusion
from ui.errors.charts import clicked_cell, confusion_figure
from ui.errors.views import HOW_TO_ADD_DRAWINGS

PAGE = "pages/2_Errors.py"


@pytest.fixture(scope="module")
def reference():
    """The bundled model's evaluation on MNIST test, computed without the page."""
    return confusion.evaluate_on(Classifier.load("default"), confusion.mnist_test())


def run_page(**state) -> AppTest:
    return page_test(PAGE, **state)


def add_model(name: str, noise: float) -> None:
    """Register a copy of the bundled model with noise added to its first layer: a second, worse model."""
    keras_model = load_keras(BUNDLED_PATH)
    weights = keras_model.get_weights()
    weights[0] = weights[0] + np.random.default_rng(0).normal(0, noise, weights[0].shape).astype(weights[0].dtype)
    keras_model.set_weights(weights)
    meta = read_meta(BUNDLED_PATH)
    meta.name, meta.created = name, ""
    Registry().add(keras_model, meta)


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def array(value) -> np.ndarray:
    """A plotly JSON array: plain lists, or {"dtype", "bdata" (base64), "shape"} for NumPy data."""
    if isinstance(value, dict):
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        return flat.reshape([int(n) for n in str(value.get("shape", flat.size)).split(",")])
    return np.asarray(value)


def figure(at: AppTest, key: str) -> dict:
    return json.loads(next(c for c in at.get("plotly_chart") if c.key == key).proto.spec)


def test_page_shows_metrics_matrix_and_a_hint_to_click(reference):
    at = run_page()
    assert not at.exception
    assert at.session_state["errors_model"] == "default"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Accuracy"] == f"{reference.accuracy:.2%}"
    assert metrics["Mistakes"] == f"{int((reference.labels != reference.predicted).sum()):,}"
    assert metrics["Images"] == "10,000"
    assert "Images behind a cell" in texts(at.subheader)
    spec = figure(at, "errors_matrix")
    heat, targets = spec["data"][1], spec["data"][2]
    assert len(targets["customdata"]) == 100 and targets["marker"]["opacity"] == 0
    assert array(heat["z"])[4, 9] == reference.confusion[4, 9] and np.isnan(
        array(heat["z"])[3, 3]
    )  # diagonal: own trace
    assert [b.key for b in at.get("download_button")] == ["errors_csv"]


def test_a_clicked_cell_shows_its_images_most_confident_mistake_first(reference):
    off = reference.confusion * (1 - np.eye(10, dtype=int))
    true, predicted = np.unravel_index(off.argmax(), off.shape)
    at = run_page(errors_cell=(int(true), int(predicted)))
    assert not at.exception
    assert f"True {true} · predicted {predicted}" in texts(at.subheader)
    assert any(
        c.startswith(f"{off.max()} images of a {true} that the model called a {predicted}") for c in texts(at.caption)
    )
    keys = [b.key for b in at.button if b.key.startswith("errors_cell_inspect_")]
    expected = confusion.cell_samples(reference, true, predicted)[:20]
    assert keys == [f"errors_cell_inspect_{p}" for p in expected]


def test_clicking_cells_never_recomputes_the_evaluation(monkeypatch):
    import streamlit as st

    calls = []
    real = confusion.evaluate_on
    monkeypatch.setattr(confusion, "evaluate_on", lambda clf, data: calls.append(data.key) or real(clf, data))
    st.cache_data.clear()
    at = run_page()
    assert calls == [confusion.MNIST_TEST]
    for cell in [(4, 9), (1, 1), (7, 2)]:
        at.session_state["errors_cell"] = cell
        at.run()
    at.toggle(key="errors_normalized").set_value(True).run()
    assert not at.exception and calls == [confusion.MNIST_TEST]


def test_a_diagonal_cell_and_an_empty_cell(reference):
    at = run_page(errors_cell=(1, 1))
    assert "True 1 · predicted 1 (correct)" in texts(at.subheader)
    first = next(b.key for b in at.button if b.key.startswith("errors_cell_inspect_"))
    assert first == f"errors_cell_inspect_{confusion.cell_samples(reference, 1, 1)[0]}"
    empty = [(t, p) for t in range(10) for p in range(10) if reference.confusion[t, p] == 0][0]
    at = run_page(errors_cell=empty)
    assert not at.exception
    assert any("This cell is empty" in i for i in texts(at.info))
    assert not [b for b in at.button if b.key.startswith("errors_cell_inspect_")]


def test_inspect_opens_the_detail_with_probabilities_and_saliency(reference):
    at = run_page(errors_cell=(4, 9))
    pos = confusion.cell_samples(reference, 4, 9)[0]
    at.button(key=f"errors_cell_inspect_{pos}").click().run()
    assert not at.exception
    assert any(m.startswith(f"#### MNIST test image #{pos}: a 4, the model said **9**") for m in texts(at.markdown))
    bars = figure(at, "errors_detail_bars")["data"][0]
    np.testing.assert_allclose(array(bars["y"]), reference.probabilities[pos], atol=1e-6)
    assert figure(at, "errors_detail_saliency")["data"][0]["type"] == "heatmap"
    at.radio(key=f"errors_detail_target_{pos}").set_value(4).run()  # saliency for the true digit instead
    assert not at.exception


def test_mistake_filters(reference):
    at = run_page()
    at.selectbox(key="errors_mistake_true").set_value(7).run()
    at.selectbox(key="errors_mistake_pred").set_value(2).run()
    keys = [b.key for b in at.button if b.key.startswith("errors_mistakes_inspect_")]
    assert keys == [f"errors_mistakes_inspect_{p}" for p in confusion.mistakes(reference, 7, 2)[:32]]
    assert f"{len(confusion.mistakes(reference, 7, 2)):,} mistakes match." in texts(at.caption)


def test_normalized_toggle_prints_shares():
    at = run_page()
    at.toggle(key="errors_normalized").set_value(True).run()
    assert not at.exception
    diagonal_text = figure(at, "errors_matrix")["data"][0]["text"][0][0]
    assert diagonal_text.endswith("%")


def test_a_model_deleted_in_another_tab_resets_the_picker():
    add_model("other", 0.05)
    at = run_page(errors_model="other")
    assert at.session_state["errors_model"] == "other" and not at.warning
    Registry().delete("other")
    # the session still holds "other" (AppTest cannot rerun a selectbox whose value has a custom label,
    # so a fresh run carries that session state instead)
    at = run_page(errors_model="other")
    assert not at.exception
    assert any("'other' no longer exists" in w for w in texts(at.warning))
    assert at.session_state["errors_model"] == "default"


def test_a_damaged_model_resets_the_picker():
    add_model("broken", 0.05)
    path = Registry().get("broken").path
    path.write_bytes(path.read_bytes()[:1000])  # truncated: the checksum no longer matches
    at = run_page(errors_model="broken")
    assert not at.exception
    assert any("damaged" in w and "active model, 'default'" in w for w in texts(at.warning))
    assert at.session_state["errors_model"] == "default"
    assert {m.label for m in at.metric} >= {"Accuracy", "Loss"}


def test_compare_two_models(reference):
    at = run_page()
    assert any("only one model" in i for i in texts(at.info))
    add_model("noisy", 0.05)
    at = run_page()
    assert at.session_state["errors_compare_model"] == "noisy"
    noisy = confusion.evaluate_on(Classifier.load("noisy"), confusion.mnist_test())
    cmp = confusion.compare(reference, noisy)
    metrics = {m.label: m.value for m in at.metric}
    assert (
        metrics["Only default right"] == f"{len(cmp.a_only):,}"
        and metrics["Only noisy right"] == f"{len(cmp.b_only):,}"
    )
    keys = [b.key for b in at.button if b.key.startswith("errors_cmp_a_inspect_")]
    assert keys == [f"errors_cmp_a_inspect_{p}" for p in cmp.a_only[:16]]
    diff = figure(at, "errors_compare_matrix")["data"][0]["text"]
    assert diff[4][9] == (f"{cmp.difference[4, 9]:+d}" if cmp.difference[4, 9] else "")


def test_my_drawings_empty_explains_then_evaluates(mnist):
    at = run_page(errors_dataset=confusion.DRAWINGS)
    assert not at.exception
    assert HOW_TO_ADD_DRAWINGS in texts(at.info) and not at.metric
    (_, _), (x_test, y_test) = mnist
    store = DrawingStore()
    for i in range(3):
        store.add(x_test[i].astype(np.float32) / 255, int(y_test[i]))
    at.run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Images"] == "3"
    assert at.selectbox(key="errors_dataset").options == ["MNIST test set (10,000 images)", "My drawings (3)"]


def test_clicked_cell_reads_the_click_target_trace():
    assert clicked_cell({"points": []}) is None
    assert clicked_cell({"points": [{"curve_number": 2, "x": 9, "y": 4, "customdata": [4, 9]}]}) == (4, 9)
    assert clicked_cell({"points": [{"curve_number": 0, "x": 1, "y": 1}]}) is None


def test_confusion_figure_hides_empty_mistakes_and_greys_the_diagonal():
    confusion = np.zeros((10, 10), int)
    confusion[3, 3], confusion[3, 5], confusion[5, 5] = 8, 2, 10
    fig = json.loads(confusion_figure(confusion).to_json())
    diag, off, targets = fig["data"]
    assert off["text"][3][5] == "2" and off["text"][5][3] == "" and diag["text"][3][3] == "8"
    assert np.isnan(array(off["z"])[3, 3]) and np.isnan(array(diag["z"])[3, 5])
    assert "2 images" in targets["hovertext"][35] and targets["customdata"][35] == [3, 5]
    shares = json.loads(confusion_figure(confusion, normalized=True).to_json())["data"][1]["text"]
    assert shares[3][5] == "20%"
