"""Browser test of the Errors page: click a cell of the rendered confusion matrix, see its images.

.venv/bin/python -m pytest tests/e2e/test_errors.py -q
"""

from __future__ import annotations

import numpy as np
import pytest
from playwright.sync_api import expect

from model import Classifier
from tests.e2e.browser import shoot
from training import confusion

FIRST_LOAD_MS = 120_000  # the first visit loads Keras and evaluates the model on 10,000 images
STEP_MS = 30_000  # a rerun after a click, on a machine shared with training runs


@pytest.fixture(scope="module")
def reference():
    """The bundled model's evaluation, computed here without the app."""
    return confusion.evaluate_on(Classifier.load("default"), confusion.mnist_test())


def click_cell(page, true: int, predicted: int) -> None:
    """Click the centre of a matrix cell: the transparent scatter marker of that cell (row-major, 10 per row)."""
    marker = page.locator(".js-plotly-plot .scatterlayer .point").nth(true * 10 + predicted)
    box = marker.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


@pytest.mark.e2e
def test_clicking_an_off_diagonal_cell_shows_its_images(server, page, reference):
    off = reference.confusion * (1 - np.eye(10, dtype=int))
    true, predicted = (int(i) for i in np.unravel_index(off.argmax(), off.shape))  # the commonest mistake
    count = int(off[true, predicted])

    page.goto(f"{server.url}/Errors")
    expect(page.get_by_role("heading", name="Confusion matrix")).to_be_visible(timeout=FIRST_LOAD_MS)
    expect(page.locator(".js-plotly-plot .scatterlayer .point")).to_have_count(100, timeout=FIRST_LOAD_MS)
    expect(page.get_by_text("Click a cell of the matrix")).to_be_visible(timeout=STEP_MS)

    click_cell(page, true, predicted)
    expect(page.get_by_role("heading", name=f"True {true} · predicted {predicted}")).to_be_visible(timeout=STEP_MS)
    expect(page.get_by_text(f"{count} images of a {true} that the model called a {predicted}")).to_be_visible(
        timeout=STEP_MS
    )
    tiles = page.locator(".st-key-errors_cell_inspect_" + str(confusion.cell_samples(reference, true, predicted)[0]))
    expect(tiles).to_be_visible(timeout=STEP_MS)  # the most confident mistake comes first
    expect(page.locator("[class*='st-key-errors_cell_inspect_']")).to_have_count(min(count, 20), timeout=STEP_MS)
    shoot(page, "errors")

    tiles.get_by_role("button", name="Inspect").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text(f"a {true}, the model said {predicted}")).to_be_visible(timeout=STEP_MS)
    expect(dialog.locator(".js-plotly-plot")).to_have_count(3, timeout=STEP_MS)  # saliency, why-not, probabilities
    dialog.get_by_role("tab", name=f"Why {predicted}, not…").click()
    expect(dialog.get_by_text("✓ adds up")).to_be_visible(timeout=STEP_MS)
    shoot(page, "errors-why-not")
    assert "Traceback" not in server.log_text()
