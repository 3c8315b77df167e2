"""Does drawing stay responsive while a model trains? Stroke-to-reading latency on the Draw page, idle vs training.

    .venv/bin/python bench/train_contention.py [--strokes 12] [--epochs 3]

Starts `streamlit run app.py` on a free port with a fresh data directory, opens the Draw page in
headless Chromium and draws strokes on the canvas; a stroke's latency is mouse-up -> the app's
script state back to "notRunning" (the live panel's fragment has rerun and rendered the reading).
Then a second tab starts a full-data 784-128-64-10 run on the Train page, and the same strokes are
timed while it trains. Also prints the Train page's press-to-"Test accuracy" time of that run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, start_server, stop_server  # noqa: E402

# records every change of the app's script state with its time, so a short rerun is never missed
WATCH = """() => {
  window.__states = [];
  const el = document.querySelector('[data-test-script-state]');
  new MutationObserver(() => window.__states.push([performance.now(), el.getAttribute('data-test-script-state')]))
    .observe(el, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


def stroke(page, canvas, i: int) -> float:
    """Draw one short stroke; return ms from mouse-up until the app is idle again after it."""
    box = canvas.bounding_box()
    x0, y0 = box["x"] + 60 + 12 * (i % 14), box["y"] + 50 + 9 * (i % 19)
    page.mouse.move(x0, y0)
    page.mouse.down()
    for step in range(1, 8):
        page.mouse.move(x0 + 4 * step, y0 + 14 * step)
    start = page.evaluate("() => performance.now()")
    page.mouse.up()
    page.wait_for_function("t => window.__states.some(([when, s]) => when > t && s === 'running')", arg=start, timeout=30_000)
    page.wait_for_function("t => { const l = window.__states.filter(([w]) => w > t); return l.length && l[l.length - 1][1] === 'notRunning'; }",
                           arg=start, timeout=60_000)
    done = page.evaluate("t => window.__states.filter(([w]) => w > t).pop()[0]", start)
    return done - start


def strokes(page, canvas, n: int, offset: int) -> np.ndarray:
    return np.array([stroke(page, canvas, offset + i) for i in range(n)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strokes", type=int, default=12)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    home = Path(tempfile.mkdtemp(prefix="digitlab-bench-"))
    server = start_server(home, home / "streamlit.log")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            draw = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            draw.goto(server.url)
            canvas = draw.locator("canvas").first
            canvas.wait_for(timeout=120_000)
            draw.wait_for_selector("[data-test-script-state='notRunning']", timeout=120_000)
            draw.evaluate(WATCH)
            strokes(draw, canvas, 3, 100)  # warm-up: first readings load the model
            idle = strokes(draw, canvas, args.strokes, 0)

            train = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            train.goto(f"{server.url}/Train")
            train.get_by_role("combobox", name="Start from").click()
            train.get_by_role("option", name="784-128-64-10 ReLU, Adam").click()
            epochs = train.get_by_role("spinbutton", name="Epochs")
            epochs.fill(str(args.epochs))
            epochs.press("Enter")
            train.wait_for_timeout(8000)  # a user reading the form: time for the standby child to warm up
            pressed = time.perf_counter()
            train.get_by_role("button", name="Train", exact=True).click()
            train.get_by_text("batch").first.wait_for(timeout=120_000)  # training proper has begun
            busy = strokes(draw, canvas, args.strokes, 40)
            still_training = train.get_by_text("Epoch").count() > 0
            train.get_by_test_id("stMetric").filter(has_text="Test accuracy").wait_for(timeout=600_000)
            press_to_result = time.perf_counter() - pressed
            browser.close()
    finally:
        stop_server(server)

    print(f"{'Draw page stroke -> reading':<32} {'p50 ms':>8} {'p90 ms':>8} {'max ms':>8}")
    for name, t in (("idle", idle), ("while training", busy)):
        print(f"{name:<32} {np.median(t):>8.0f} {np.percentile(t, 90):>8.0f} {t.max():>8.0f}")
    print(f"ratio of medians (training / idle): {np.median(busy) / np.median(idle):.2f}x"
          f"{'' if still_training else ' (the run ended before the last stroke)'}")
    print(f"Train page, {args.epochs}-epoch 784-128-64-10 on all 60,000 images: Train pressed -> test accuracy shown "
          f"in {press_to_result:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
