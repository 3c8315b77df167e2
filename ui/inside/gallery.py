"""A row of MNIST test digits, each captioned with its test index; a click opens the Errors page's dialog.

clicked = digits_row(data, [6412, 8424, ...], key="inside_top")   # a test index, or None
sample_dialog(...) is opened by the page for the clicked one (ui/errors/gallery.py).
"""

from __future__ import annotations

import streamlit as st

from training import confusion
from ui.errors.gallery import enlarged

TILE_PX = 76  # 28x28 enlarged, crisp; nine fit one row of the wide layout


def digits_row(data: confusion.Dataset, indices, key: str, labels: dict[int, str] | None = None) -> int | None:
    """Tiles in the given order (wrapping on narrow screens); returns the test index clicked this run."""
    clicked = None
    with st.container(horizontal=True, gap="small", key=key):
        for i in indices:
            i = int(i)
            with st.container(width=TILE_PX + 8, gap=None):
                st.image(enlarged(data.x[i], TILE_PX), width=TILE_PX)
                if st.button(
                    f"#{i}",
                    key=f"{key}_{i}",
                    width="stretch",
                    type="tertiary",
                    help=(labels or {}).get(i, f"Test digit #{i}, a {int(data.y[i])}: click for a closer look"),
                ):
                    clicked = i
    return clicked
