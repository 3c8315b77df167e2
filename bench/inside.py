"""The Inside page's figures: all hidden layers over the 10,000 MNIST test digits, a click to the inspector on
the server, and the layer overview (built on the server, and shown in a real browser).

    .venv/bin/python -m bench.inside [--repeats 5] [--clicks 20] [--no-browser]

Server-side times run the page under AppTest (streamlit.testing), as the server runs it, with the
recording already cached: a tile click's rerun is "set the unit, rerun the page". The browser figure
starts `streamlit run` with an empty $DIGITLAB_HOME and times the click on the "Layer overview" tab
until the overview's image and its 1,024 click targets are drawn.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from model import Classifier, neurons
from training.data import load_mnist

REPO = Path(__file__).resolve().parent.parent
TIMEOUT_MS = 180_000  # a cold server loads the model and records the test set first


def seconds(fn, repeats: int) -> np.ndarray:
    out = np.empty(repeats)
    for i in range(repeats):
        start = time.perf_counter()
        fn()
        out[i] = time.perf_counter() - start
    return out


def row(name: str, t: np.ndarray, unit: str = "ms") -> None:
    scale = 1000 if unit == "ms" else 1
    print(f"{name:<58} {np.median(t) * scale:>9.1f} {np.max(t) * scale:>9.1f}  {unit} (n={len(t)})")


def recording_figures(repeats: int) -> None:
    classifier = Classifier.load("default")
    _, (x_test, _) = load_mnist()
    print(f"model: default ({classifier.meta.arch.describe()}); images: {len(x_test):,} MNIST test digits")
    print(f"{'what':<58} {'median':>9} {'max':>9}")
    row(
        "all hidden layers' activations over the test set",
        seconds(lambda: neurons.record(classifier, x_test), repeats),
        "s",
    )


def page_figures(clicks: int) -> None:
    os.environ["DIGITLAB_HOME"] = tempfile.mkdtemp(prefix="bench-inside-")
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300).run()
    at.switch_page("pages/3_Inside.py")
    at.run()  # loads the model, records the test set
    rng = np.random.default_rng(0)
    times = []
    for unit in rng.integers(0, 1024, clicks):
        at.session_state["inside_layer"], at.session_state["inside_unit"] = int(rng.integers(1, 3)), int(unit)
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
        assert not at.exception, at.exception
    row("click a unit -> its inspector (server rerun, AppTest)", np.array(times))
    overview = []
    for layer in (1, 2) * 3:
        at.session_state["inside_tab"], at.session_state["inside_layer"] = "Layer overview", layer
        start = time.perf_counter()
        at.run()
        overview.append(time.perf_counter() - start)
    row("layer overview tab (server rerun, pictures cached)", np.array(overview))


def browser_figures() -> None:
    from playwright.sync_api import expect, sync_playwright

    from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, start_server, stop_server

    home = Path(tempfile.mkdtemp(prefix="bench-inside-browser-"))
    server = start_server(home, home / "streamlit.log")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{server.url}/Inside")
            expect(page.get_by_role("heading", name="Layer 1 · unit 0")).to_be_visible(timeout=TIMEOUT_MS)
            shown = []
            for _ in range(4):  # the first time builds layer 1's picture on the server; later ones reuse it
                page.get_by_role("tab", name="Neuron").click()
                page.wait_for_selector("[data-test-script-state='notRunning']")
                expect(page.locator(".st-key-inside_overview")).to_have_count(0, timeout=TIMEOUT_MS)
                start = time.perf_counter()
                page.get_by_role("tab", name="Layer overview").click()
                expect(
                    page.locator(
                        ".st-key-inside_overview .layer-above image, .st-key-inside_overview .imagelayer image"
                    ).first
                ).to_be_attached(timeout=TIMEOUT_MS)
                expect(page.locator(".st-key-inside_overview .scatterlayer .point")).to_have_count(
                    1024, timeout=TIMEOUT_MS
                )
                shown.append(time.perf_counter() - start)
            browser.close()
    finally:
        stop_server(server)
    row("layer overview shown in Chromium, first time (tab click -> image)", np.array(shown[:1]))
    row("layer overview shown in Chromium, again", np.array(shown[1:]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--clicks", type=int, default=20)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    recording_figures(args.repeats)
    page_figures(args.clicks)
    if not args.no_browser:
        browser_figures()
    return 0


if __name__ == "__main__":
    sys.exit(main())
