"""The Draw page's logic under AppTest, with a drawing injected as the canvas component's state.

The canvas cannot render in AppTest, but the component reads its value from
st.session_state["draw_canvas"], so a test sets what the browser would send:
{"drawing": {"raw": {...}, "data": "data:image/png;base64,..."}}.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from streamlit.testing.v1 import AppTest

from model import Classifier, to_mnist
from model.drawings import DrawingStore
from model.mnist import parse_idx
from model.store import ModelMeta
from ui.charts import ACCENT

APP = str(Path(__file__).resolve().parent.parent / "app.py")

TIMEOUT = 120
CANVAS_KEY, CANVAS_SIDE = "draw_canvas", 280  # ui/draw/input.py's (importing it outside a Streamlit run fails:
#                                               the canvas component registers itself on import)


def png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def canvas_state(image: Image.Image | None) -> dict:
    """What streamlit-drawable-canvas puts in session state after a stroke (or after a reset, with None)."""
    data = None if image is None else "data:image/png;base64," + base64.b64encode(png(image)).decode()
    return {"drawing": {"raw": {"objects": [], "background": ""}, "data": data}, "backgroundFit": None}


def mnist_on_canvas(digit28: np.ndarray) -> Image.Image:
    """An MNIST digit (28x28 uint8, white on black) as dark ink on a transparent 280x280 canvas."""
    alpha = Image.fromarray(digit28).resize((CANVAS_SIDE, CANVAS_SIDE), Image.Resampling.BILINEAR)
    image = Image.new("RGBA", (CANVAS_SIDE, CANVAS_SIDE), (17, 24, 39, 0))
    image.putalpha(alpha)
    return image


def painted(draw) -> Image.Image:
    image = Image.new("RGBA", (CANVAS_SIDE, CANVAS_SIDE), (0, 0, 0, 0))
    draw(ImageDraw.Draw(image))
    return image


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def live_chart(at: AppTest, key: str) -> dict:
    """The data ui/live_chart.py sent its Components v2 element: {"figure": {"data", "layout"}, "config", "src"}."""
    (chart,) = [c for c in at.get("bidi_component") if c.key == key]
    return json.loads(chart.proto.json)


def run_with(image: Image.Image | None, at: AppTest | None = None) -> AppTest:
    at = at or AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state[CANVAS_KEY] = canvas_state(image)
    return at.run()


@pytest.fixture(scope="module")
def confident_digit(mnist):
    """An MNIST test digit the active model reads correctly and confidently, drawn on a canvas."""
    (_, _), (x_test, y_test) = mnist
    classifier = Classifier.load()
    for x, y in zip(x_test[:200], y_test[:200]):
        image = mnist_on_canvas(x)
        probs = classifier.predict_proba(to_mnist(np.asarray(image))[None])[0]
        if probs.argmax() == y and probs.max() > 0.95:
            return image, int(y), float(probs.max())
    pytest.fail("the active model reads none of the first 200 MNIST test digits with 95% confidence")


def test_empty_canvas_shows_a_dash_and_a_prompt():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert metric(at, "Prediction") == "—" and metric(at, "Confidence") == "—"
    assert any("Draw a digit" in i.value for i in at.info)
    assert at.subheader.values[-1] == "My drawings (0)"
    links = [(link.proto.label, link.proto.page) for link in at.sidebar.get("page_link")]
    assert links == [
        ("Draw", ""),
        ("Train", "Train"),
        ("Errors", "Errors"),
        ("Inside", "Inside"),
    ]  # not Streamlit's "app"


def test_a_drawn_digit_is_read_through_to_mnist(confident_digit):
    image, label, confidence = confident_digit
    at = run_with(image)
    assert not at.exception
    assert metric(at, "Prediction") == str(label)
    assert metric(at, "Confidence") == f"{confidence:.0%}"
    assert any(f"reads a {label}" in s.value for s in at.success)
    chart = live_chart(at, "draw_probs_chart")
    bars = chart["figure"]["data"][0]
    assert bars["text"][label] == f"{confidence:.0%}", "the values are printed on the bars (the chart has no hover)"
    assert bars["marker"]["color"][label] == ACCENT and bars["marker"]["color"].count(ACCENT) == 1
    assert chart["config"]["staticPlot"] is True
    pictures = "".join(h.proto.body for h in at.get("html"))
    assert pictures.count("data:image/png;base64,") == 7, "3 preprocessing steps, saliency, 2 hidden layers, why not"


def test_reset_canvas_goes_back_to_the_dash(confident_digit):
    at = run_with(confident_digit[0])
    at = run_with(painted(lambda d: None), at)  # after the toolbar's reset the canvas sends a blank picture
    assert metric(at, "Prediction") == "—"
    at = run_with(None, at)
    assert metric(at, "Prediction") == "—"


@pytest.mark.parametrize(
    "draw,word",
    [
        (lambda d: d.ellipse([134, 134, 146, 146], fill=(0, 0, 0, 255)), "dot"),
        (lambda d: d.rectangle([10, 10, 270, 270], fill=(0, 0, 0, 255)), "scribble"),
    ],
)
def test_a_dot_or_a_fill_is_not_a_digit(draw, word):
    at = run_with(painted(draw))
    assert not at.exception
    assert metric(at, "Prediction") == "?"
    assert any(word in w.value for w in at.warning)


def test_saliency_method_switch_reruns_without_errors(confident_digit):
    at = run_with(confident_digit[0])
    at.segmented_control(key="draw_saliency").set_value("Occlusion").run()
    assert not at.exception
    assert any("blanking" in h.proto.body for h in at.get("html"))


def test_teach_it_saves_once_lists_and_deletes(confident_digit, digitlab_home):
    image, label, _ = confident_digit
    at = run_with(image)
    assert at.pills(key="draw_teach_label").value == label  # pre-set to the network's reading
    at.pills(key="draw_teach_label").set_value((label + 1) % 10).run()  # the user corrects it
    save = at.button(key="draw_teach_save")
    assert save.label == f"Save as {(label + 1) % 10}"
    save.click().run()
    assert not at.exception
    store = DrawingStore(digitlab_home)
    (saved,) = store.list()
    assert saved.label == (label + 1) % 10 and saved.predicted == label and saved.model == "default"
    assert saved.canvas_png == png(image) and np.allclose(saved.image, to_mnist(np.asarray(image)), atol=1 / 255)
    assert at.subheader.values[-1] == "My drawings (1)"
    assert at.button(key="draw_teach_save").disabled  # a second click cannot save it again
    del at.session_state["draw_saved"]  # a double-click whose second click lands before the first rerun
    at.run()
    at.button(key="draw_teach_save").click().run()
    assert store.count() == 1  # DrawingStore.add is idempotent on content
    at.button(key=f"draw_delete_{saved.id}").click().run()
    assert store.count() == 0 and at.subheader.values[-1] == "My drawings (0)"


def test_my_drawings_download_as_a_zip_once_there_are_some(downloads, digitlab_home):
    """Issue #26: no drawings, no button but a caption; then the zip of MNIST-format files, built on click."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception and len(at.download_button) == 0
    assert any("Nothing to download yet" in c.value for c in at.caption)
    image = np.zeros((28, 28), np.float32)
    image[4:24, 13:15] = 1.0
    store = DrawingStore(digitlab_home)
    store.add(image, 1, predicted=1, model="default", canvas_png=png(Image.new("L", (28, 28))))
    at.run()
    button = at.download_button(key="draw_drawings_zip")
    assert button.label == "Download my drawings (.zip)"
    assert not any("Nothing to download yet" in c.value for c in at.caption)
    store.add(image.T, 7)  # saved in another tab after the page was drawn: the zip is built on click
    data, file_name = downloads.of(button)
    assert file_name == "my-drawings.zip"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert parse_idx(archive.read("labels-idx1-ubyte")).tolist() == [1, 7]
        assert "png/000000-label1.png" in archive.namelist()


def test_a_new_drawing_starts_from_the_new_reading(confident_digit):
    at = run_with(confident_digit[0])
    at.pills(key="draw_teach_label").set_value(0).run()
    at = run_with(painted(lambda d: d.ellipse([134, 134, 146, 146], fill=(0, 0, 0, 255))), at)
    assert at.pills(key="draw_teach_label").value is None  # not a digit: nothing pre-picked
    assert at.button(key="draw_teach_save").disabled


def test_upload_goes_through_the_same_path(confident_digit):
    image, label, _ = confident_digit
    photo = Image.new("RGB", image.size, "white")
    photo.paste(image, mask=image)  # dark ink on white paper, as a photo or scan would be
    buf = io.BytesIO()
    photo.save(buf, format="JPEG", quality=95)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.segmented_control(key="draw_source").set_value("Upload").run()
    at.file_uploader(key="draw_upload").set_value(("digit.jpg", buf.getvalue(), "image/jpeg")).run()
    assert not at.exception
    assert metric(at, "Prediction") == str(label)


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("notes.png", b"this is not an image at all", "not an image"),
        ("cut.png", None, "damaged or truncated"),
    ],
)
def test_bad_uploads_get_one_sentence(confident_digit, name, data, message):
    if data is None:
        data = png(confident_digit[0])[:200]
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.segmented_control(key="draw_source").set_value("Upload").run()
    at.file_uploader(key="draw_upload").set_value((name, data, "image/png")).run()
    assert not at.exception
    assert any(message in e.value for e in at.error)
    assert metric(at, "Prediction") == "—"


def test_comparing_models_shows_them_side_by_side(confident_digit, digitlab_home):
    from model.network import build_model
    from model.registry import Registry
    from model.spec import ArchSpec

    arch = ArchSpec.simple([16])
    Registry(digitlab_home).add(build_model(arch, seed=0), ModelMeta(name="tiny", arch=arch))
    at = run_with(confident_digit[0])
    assert at.selectbox(key="draw_model").value == "default"  # the active model reads by default
    at.multiselect(key="draw_compare").set_value(["tiny"]).run()
    assert not at.exception
    assert [c.key for c in at.get("plotly_chart")] == ["draw_compare_chart"]  # the reading's own bars stay live
    assert live_chart(at, "draw_probs_chart")["figure"]["data"][0]["text"][int(metric(at, "Prediction"))]
    assert any(c.value.startswith("default:") and "tiny:" in c.value for c in at.caption)


def test_one_blas_thread_changes_the_threads_not_the_reading(confident_digit):
    """The stroke fragment's maths run on one OpenBLAS thread (ui/perf.py): same probabilities, setting restored."""
    from ui.perf import _set_local_threads, one_blas_thread

    classifier = Classifier.load()
    x = to_mnist(np.asarray(confident_digit[0]))[None]
    setter = _set_local_threads()  # None where numpy's BLAS has no per-thread setting: nothing to check
    if setter:
        before = setter(3)  # the setter returns the thread's previous setting: probe it, then put it back
        setter(before)
    with one_blas_thread():
        inside = classifier.predict_proba(x)
        assert setter is None or setter(1) == 1
    np.testing.assert_allclose(inside, classifier.predict_proba(x), rtol=1e-5, atol=1e-7)
    if setter:
        assert setter(before) == before  # one_blas_thread put back what it found


def test_a_canvas_picture_that_cannot_be_read_is_said_once_and_read_as_nothing():
    # the Draw page reads the stroke before it draws the canvas, then draws it: the reason shows once, under it
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state[CANVAS_KEY] = {
        "drawing": {
            "raw": {"objects": []},
            "data": "data:image/png;base64," + base64.b64encode(b"not a png at all").decode(),
        }
    }
    at.run()
    assert not at.exception
    assert len(at.error) == 1 and "canvas" in at.error[0].value
    assert metric(at, "Prediction") == "—"


def test_a_model_deleted_in_another_tab_is_said_and_the_active_model_reads(confident_digit, digitlab_home):
    from model.network import build_model
    from model.registry import Registry
    from model.spec import ArchSpec

    arch = ArchSpec.simple([16])
    registry = Registry(digitlab_home)
    registry.add(build_model(arch, seed=0), ModelMeta(name="tiny", arch=arch))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["draw_model"] = "tiny"  # tab B reads with tiny
    at.session_state[CANVAS_KEY] = canvas_state(confident_digit[0])
    at.run()
    assert any(c.value.startswith("784-16(relu)-10") for c in at.sidebar.caption)
    assert not any("no longer exists" in w.value for w in at.warning)
    registry.delete("tiny")  # what the Train page of another tab does
    at.run()
    assert not at.exception
    assert [w.value for w in at.warning] == [
        "The model 'tiny' no longer exists (deleted in another tab?), "
        "so the active model, 'default', reads your drawing now."
    ]  # only that
    assert at.selectbox(key="draw_model").value == "default"
    assert metric(at, "Prediction") == str(confident_digit[1])  # read by the active model
    at.button(key="draw_teach_save").click().run()
    (saved,) = DrawingStore(digitlab_home).list()
    assert saved.model == "default"
    at.run()
    assert not at.warning  # said once
