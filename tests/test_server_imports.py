"""The Streamlit server never imports TensorFlow or Keras: every page, run as the server runs it, in a fresh process.

Each check runs in a subprocess, because this test process has imported Keras for other tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PAGES = ["app.py", *sorted(str(p.relative_to(REPO)) for p in (REPO / "pages").glob("*.py"))]

# Runs in the child: every page under AppTest (the Draw page with a stroke, so the live fragment, the
# explanations and Teach it run too), then every module of model/ and ui/ the pages did not import.
CHILD = textwrap.dedent("""
    import importlib, pkgutil, sys
    import numpy as np
    from PIL import Image, ImageDraw
    from streamlit.testing.v1 import AppTest
    from tests.test_draw_page import CANVAS_KEY, canvas_state

    pages = sys.argv[1:]
    canvas = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).line([(140, 40), (140, 240)], fill=(17, 24, 39, 255), width=18)
    at = AppTest.from_file("app.py", default_timeout=120).run()
    at.session_state[CANVAS_KEY] = canvas_state(canvas)
    at.run()
    assert not at.exception, at.exception
    assert [m.value for m in at.metric if m.label == "Prediction"] != ["—"], "the stroke was not read"
    for page in pages[1:]:
        at.switch_page(page)
        at.run()
        assert not at.exception, (page, at.exception)

    import model, ui
    for package in (model, ui):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if info.name != "model.__main__":
                importlib.import_module(info.name)
    heavy = sorted(name for name in sys.modules if name.split(".")[0] in ("tensorflow", "keras", "tf_keras"))
    print("heavy:", heavy[:5])
    sys.exit(1 if heavy else 0)
""")


def test_no_page_and_no_server_module_imports_tensorflow_or_keras(digitlab_home):
    env = {**os.environ, "DIGITLAB_HOME": str(digitlab_home), "DIGITLAB_TRAIN_STANDBY": "0"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *PAGES], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert "heavy: []" in done.stdout
