"""A model on the class's own drawings: its accuracy, the Errors page's clickable confusion matrix with the
drawings behind a cell (captioned with who drew them), and whose digits it misreads most.

    check_ui(pooled)     # pooled = classes.class_drawings(home, room)

The models are the teacher's own and the bundled default (this lab's registry). The evaluation is the
Errors page's, cached by (model name, sha256, drawings fingerprint): clicking around never recomputes it.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from model.classes import ClassDrawings
from training import confusion
from ui.charts import CHART_CONFIG
from ui.errors import loaders
from ui.errors.charts import clicked_cell, confusion_figure
from ui.errors.gallery import gallery_ui, sample_dialog

MODEL_KEY, CELL_KEY = "class_model", "class_cell"  # session_state: the picked model; (true, predicted) clicked


def check_ui(pooled: ClassDrawings) -> None:
    st.subheader("How a model reads the class's drawings")
    if not len(pooled):
        st.info("Once students save drawings, pick a model here to see which of their digits it misreads.")
        return
    names, active = loaders.model_names()
    if st.session_state.get(MODEL_KEY) not in names:  # first visit, or the model was deleted since
        st.session_state[MODEL_KEY] = active
    picker_col, accuracy_col, misread_col = st.columns([2, 1, 1], vertical_alignment="bottom")
    name = picker_col.selectbox("Model", names, key=MODEL_KEY, format_func=loaders.model_label)
    classifier, problem = loaders.load_model(name)
    if problem:
        st.warning(problem)
        return
    data = confusion.class_drawings(pooled.x, pooled.y, pooled.ids, pooled.nicknames)
    ev = loaders.evaluation(classifier, data)
    misread = int((ev.labels != ev.predicted).sum())
    accuracy_col.metric("Accuracy on the class's drawings", f"{ev.accuracy:.1%}")
    misread_col.metric("Misread", f"{misread:,} of {len(data):,}")

    matrix_col, cell_col = st.columns(2, gap="medium")
    with matrix_col:
        st.caption(
            "Each row is the digit the student meant, each column what the model read. **Click a cell** to see "
            "the drawings behind it."
        )
        st.plotly_chart(
            confusion_figure(ev.confusion),
            on_select=_on_cell_click,
            selection_mode="points",
            key="class_matrix",
            config=CHART_CONFIG,
        )
    with cell_col:
        pos = cell_ui(data, ev)
    writers_ui(data, ev)
    if pos is not None:
        sample_dialog(classifier, data, ev, pos)


def _on_cell_click() -> None:
    cell = clicked_cell(st.session_state.class_matrix.selection)
    if cell is not None:  # a cleared selection keeps the last cell
        st.session_state[CELL_KEY] = cell


def cell_ui(data: confusion.Dataset, ev) -> int | None:
    """The drawings behind the clicked cell; the position whose Inspect was clicked."""
    cell = st.session_state.get(CELL_KEY)
    if cell is None:
        st.info("Click a cell of the matrix, for example an orange one, to see the drawings the model put there.")
        return None
    true, predicted = cell
    positions = confusion.cell_samples(ev, true, predicted)
    drawings = f"{len(positions):,} drawing{'' if len(positions) == 1 else 's'}"
    if true == predicted:
        st.markdown(f"**{true} read as {predicted}** (right): {drawings}, the least sure first.")
    else:
        st.markdown(f"**{true} read as {predicted}**: {drawings}, the surest mistakes first.")
    if not len(positions):
        st.info(f"Empty: the model read no student's {true} as a {predicted}.")
        return None
    return gallery_ui(data, ev, positions, key="class_cell", limit=12, per_row=4)


def writers_ui(data: confusion.Dataset, ev) -> None:
    """Whose digits the model misreads most: one row per student, the largest share misread first."""
    st.markdown("**Whose digits it misreads most**")
    rows = confusion.per_writer(ev, data.names)
    table = pd.DataFrame(rows).rename(
        columns={"writer": "Nickname", "drawings": "Drawings", "misread": "Misread", "share": "Share misread"}
    )
    st.dataframe(
        table,
        hide_index=True,
        key="class_writers",
        column_config={
            "Share misread": st.column_config.ProgressColumn(
                "Share misread", format="percent", min_value=0.0, max_value=1.0
            )
        },
    )
