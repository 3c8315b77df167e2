"""Teach it (label the current drawing and save it) and My drawings (the saved ones, with delete and download).

Saved to the DrawingStore in $DIGITLAB_HOME: the 28x28 input, the raw picture as PNG, the label,
the model's reading and a timestamp. The Train page can learn from them, Errors can test on them,
and everyone can take them home as a zip of MNIST-format files (model/export.py).
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

import streamlit as st
from PIL import Image

from model.drawings import DrawingError, DrawingStore
from model.explain import CONFIDENT, UNSURE, Verdict
from model.export import DRAWINGS_ZIP, drawings_zip
from model.preprocess import Steps
from model.spec import N_CLASSES
from ui.draw.images import ink_picture
from ui.draw.input import DrawingInput
from ui.stores import drawing_store

LABEL_KEY = "draw_teach_label"  # the digit picked for the current drawing
FOR_KEY = "draw_teach_for"  # digest of the drawing the pick belongs to: a new drawing resets it
SAVED_KEY = "draw_saved"  # (digest, label) last saved: a second click on Save does nothing
SAVE_KEY = "draw_teach_save"
REPLACED_KEY = "draw_replaced"  # the other label the last saved drawing had before (one drawing keeps one label)
PER_ROW = 8  # thumbnails per row in My drawings
SHOWN = 48  # newest drawings listed
THUMB = 84  # px, the 28x28 input at 3x


def teach_heading() -> None:
    st.markdown("##### Teach it")


def teach_ui(picture: DrawingInput, steps: Steps | None, verdict: Verdict, model_name: str) -> None:
    """Pick the digit you meant (pre-set to the network's reading) and save it."""
    if steps is None:
        st.caption("Draw a digit, then tell the network what it is: saved drawings can be trained on.")
        return
    if st.session_state.get(FOR_KEY) != picture.digest:  # a new drawing: start from the network's reading
        st.session_state[FOR_KEY] = picture.digest
        st.session_state[LABEL_KEY] = verdict.digit if verdict.state in (CONFIDENT, UNSURE) else None
    label = st.pills(
        "What did you draw?",
        list(range(N_CLASSES)),
        key=LABEL_KEY,
        help="Confirm the network's reading or pick the digit you meant.",
    )
    saved = label is not None and st.session_state.get(SAVED_KEY) == (picture.digest, label)
    clicked = st.button(
        f"Save as {label}" if label is not None else "Pick a digit to save",
        key=SAVE_KEY,
        type="primary",
        icon=":material/school:",
        disabled=label is None or saved,
    )
    if saved:
        replaced = st.session_state.get(REPLACED_KEY)
        st.success(
            f"Saved as {label}"
            + (f", replacing the label {replaced} it was saved with before" if replaced is not None else "")
            + ": it is in My drawings below.",
            icon=":material/check:",
        )
    elif clicked:
        store = drawing_store()
        try:
            before = store.label_of(steps.image)
            store.add(steps.image, label, predicted=verdict.digit, model=model_name, canvas_png=picture.png)
        except DrawingError as error:
            st.error(str(error))
            return
        st.session_state[SAVED_KEY] = (picture.digest, label)
        st.session_state[REPLACED_KEY] = before if before not in (None, label) else None
        st.rerun()  # the whole page, so My drawings lists the new one


def my_drawings_ui() -> None:
    """Every saved drawing, newest first: what the network saw, the label, its reading, when; delete."""
    store = drawing_store()
    drawings = store.list()
    st.subheader(f"My drawings ({len(drawings)})")
    st.caption(
        "Drawings you labelled with Teach it. The Train page can add them to the training data, "
        "and the Errors page can test any model on them."
    )
    download_ui(store, len(drawings))
    if not drawings:
        st.info("None yet: draw a digit and save it with Teach it.", icon=":material/school:")
        return
    shown = drawings[:SHOWN]
    for start in range(0, len(shown), PER_ROW):
        for column, drawing in zip(st.columns(PER_ROW), shown[start : start + PER_ROW]):
            with column.container(border=True, key=f"draw_card_{drawing.id}"):
                st.image(ink_picture(drawing.image).resize((THUMB, THUMB), Image.Resampling.NEAREST))
                mark = "✓" if drawing.predicted == drawing.label else "✗"
                read = "—" if drawing.predicted is None else drawing.predicted
                st.markdown(f"**{drawing.label}** · read {read} {mark}")
                st.caption(_when(drawing.created))
                st.button(
                    "Delete",
                    key=f"draw_delete_{drawing.id}",
                    icon=":material/delete:",
                    on_click=store.delete,
                    args=(drawing.id,),
                )
    if len(drawings) > SHOWN:
        st.caption(f"Showing the newest {SHOWN} of {len(drawings)}.")


def download_ui(store: DrawingStore, count: int) -> None:
    """The zip of every saved drawing, built when clicked (one saved in another tab since is in it too)."""
    if not count:
        st.caption("Nothing to download yet: saved drawings can be taken home as MNIST-format files.")
        return
    st.download_button(
        "Download my drawings (.zip)",
        data=partial(drawings_zip, store),  # runs on click, in another thread: no Streamlit calls inside
        file_name=DRAWINGS_ZIP,
        mime="application/zip",
        key="draw_drawings_zip",
        icon=":material/download:",
        on_click="ignore",
        help="images-idx3-ubyte and labels-idx1-ubyte in MNIST's own format, the PNGs you drew, and drawings.csv "
        "(label, the model's reading, when).",
    )


def _when(created: str) -> str:
    """ISO 8601 UTC -> '21 Nov 2026, 13:44 UTC'."""
    try:
        return datetime.fromisoformat(created).strftime("%d %b %Y, %H:%M UTC")
    except ValueError:
        return created
