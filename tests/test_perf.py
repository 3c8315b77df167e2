"""ui/perf.py: plain component data skips Streamlit's dataframe check, and nothing else changes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.dataframe_util import is_dataframe_like

from ui.perf import plain_json, tune_server

REPO = Path(__file__).resolve().parent.parent

PLAIN = [
    {"fillColor": "#eee", "strokeWidth": 18, "initialDrawing": {"objects": [], "background": ""}, "label": None},
    [1, 2.5, "three", True, None],
    [{"a": 1, "b": 2}, {"a": 3, "b": 4}],  # records
    {"a": [1, 2, 3], "b": [4, 5, 6]},  # columns
    {"nested": {"deeper": [[1, 2], [3, 4]]}},
]


@pytest.mark.parametrize("value", PLAIN)
def test_plain_json_is_what_streamlit_never_calls_a_dataframe(value):
    assert plain_json(value) and not is_dataframe_like(value)


@pytest.mark.parametrize(
    "value",
    [
        pd.DataFrame({"a": [1, 2]}),
        {"a": pd.Series([1, 2])},
        np.zeros((2, 2)),
        [np.zeros(2), np.zeros(2)],
        {1: "int key"},
        (1, 2),
        list(range(2000)),  # longer than the limit: the full check decides
    ],
)
def test_anything_else_goes_to_the_full_check(value):
    assert not plain_json(value)


def test_after_tuning_components_still_send_dataframes_as_arrow():
    from streamlit.components.v2.bidi_component import serialization

    tune_server()
    tune_server()  # idempotent: wrapped once
    assert not serialization.is_dataframe_like(PLAIN[0])
    assert serialization.is_dataframe_like(pd.DataFrame({"a": [1, 2]}))
    assert serialization.is_dataframe_like(np.zeros((2, 2)))


def test_the_draw_page_imports_neither_pandas_nor_pyarrow(digitlab_home):
    """The first run and a stroke, in a fresh process (this one has pandas): importing them took ~0.3 s."""
    child = textwrap.dedent("""
        import sys
        from PIL import Image, ImageDraw
        from streamlit.testing.v1 import AppTest
        from tests.test_draw_page import CANVAS_KEY, canvas_state

        at = AppTest.from_file("app.py", default_timeout=120).run()
        canvas = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
        ImageDraw.Draw(canvas).line([(140, 40), (140, 240)], fill=(17, 24, 39, 255), width=18)
        at.session_state[CANVAS_KEY] = canvas_state(canvas)
        at.run()
        assert not at.exception, at.exception
        assert [m.value for m in at.metric if m.label == "Prediction"] == ["1"], "the stroke was not read"
        print("imported:", sorted({name.split(".")[0] for name in sys.modules} & {"pandas", "pyarrow"}))
    """)
    env = {**os.environ, "DIGITLAB_HOME": str(digitlab_home)}
    done = subprocess.run([sys.executable, "-c", child], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert "imported: []" in done.stdout
