"""The sections of the Errors page, one `*_ui()` each; pages/2_Errors.py lays them out.

Session state (keys initialised by the page): errors_model, errors_dataset (pickers), errors_cell
((true, predicted) of the clicked matrix cell, or None), errors_normalized, errors_mistake_true,
errors_mistake_pred, errors_compare_model.
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd
import streamlit as st

from model import Classifier
from training import confusion
from training.data import DataError
from training.evaluate import Evaluation
from ui.charts import CHART_CONFIG
from ui.errors import loaders
from ui.errors.charts import clicked_cell, confusion_figure, difference_figure
from ui.errors.gallery import gallery_ui
from ui.stores import drawing_store

HOW_TO_ADD_DRAWINGS = (
    "You have no saved drawings yet. On the Draw page, draw a digit and save it with its correct label; "
    "every drawing you save shows up here, so you can see how the model does on *your* handwriting."
)
ANY = None  # the "any digit" choice of the mistake filters


class Inspect(NamedTuple):
    """A tile whose Inspect button was clicked: which model and evaluation it belongs to, and where it is."""

    classifier: Classifier
    ev: Evaluation
    pos: int


def chosen_model() -> tuple[Classifier, str | None]:
    """The model the picker holds, and a sentence if it had to fall back to the active model.

    Runs before the picker is drawn, so a model deleted or damaged in another tab can reset it.
    """
    state = st.session_state
    names, active = loaders.model_names()
    notice = None
    if state.errors_model not in names:
        notice = f"The model {state.errors_model!r} no longer exists (deleted in another tab?), so this page shows the active model, {active!r}."
        state.errors_model = active
    classifier, problem = loaders.load_model(state.errors_model)
    if problem:
        if state.errors_model != active:
            notice, state.errors_model = f"{problem} Showing the active model, {active!r}, instead.", active
        classifier = loaders.active_model()
        notice = classifier.warning or notice
    return classifier, notice


def model_picker_ui() -> None:
    """The model picker (default: the active model); its value is read through chosen_model()."""
    names, _ = loaders.model_names()
    st.selectbox("Model", names, key="errors_model", format_func=loaders.model_label)


def dataset_picker_ui() -> confusion.Dataset | None:
    """MNIST test set or My drawings; None (after saying why) when there is nothing to evaluate."""
    count = drawing_store().count()
    labels = {
        confusion.MNIST_TEST: "MNIST test set (10,000 images)",
        confusion.DRAWINGS: f"My drawings ({count})" if count else "My drawings (none yet)",
    }
    key = st.selectbox("Images", list(labels), key="errors_dataset", format_func=labels.get)
    if key == confusion.DRAWINGS and not count:
        st.info(HOW_TO_ADD_DRAWINGS)
        return None
    try:
        return loaders.dataset(key)
    except DataError as error:
        st.error(str(error))
        return None


def metrics_ui(classifier: Classifier, data: confusion.Dataset, ev: Evaluation) -> None:
    wrong = int((ev.labels != ev.predicted).sum())
    accuracy, loss, images, mistakes, download = st.columns([1, 1, 1, 1, 1.4], vertical_alignment="bottom")
    accuracy.metric("Accuracy", f"{ev.accuracy:.2%}")
    loss.metric(
        "Loss", f"{ev.loss:.3f}", help="Mean cross-entropy: how surprised the model is by the true digit, on average."
    )
    images.metric("Images", f"{len(data):,}")
    mistakes.metric("Mistakes", f"{wrong:,}")
    download.download_button(
        "Download the mistakes (CSV)",
        confusion.to_csv(confusion.error_rows(ev, data.ids)),
        file_name=f"errors-{classifier.name}-{data.key}.csv",
        mime="text/csv",
        key="errors_csv",
    )


def _on_cell_click() -> None:
    """The matrix's selection changed: remember the clicked cell (ignore a cleared selection)."""
    cell = clicked_cell(st.session_state.errors_matrix.selection)
    if cell is not None:
        st.session_state.errors_cell = cell


def matrix_ui(ev: Evaluation) -> None:
    st.subheader("Confusion matrix")
    st.caption(
        "Each row is a true digit, each column the model's answer. The grey diagonal holds the right answers; "
        "every coloured cell is one kind of mistake (row 4, column 9 counts 4s taken for 9s). "
        "**Click a cell** to see the images behind it."
    )
    normalized = st.toggle("Show each row as shares (recall on the diagonal)", key="errors_normalized")
    st.plotly_chart(
        confusion_figure(ev.confusion, normalized),
        on_select=_on_cell_click,
        selection_mode="points",
        key="errors_matrix",
        config=CHART_CONFIG,
    )


def cell_ui(data: confusion.Dataset, ev: Evaluation, classifier: Classifier) -> Inspect | None:
    """The gallery behind the clicked cell."""
    if st.session_state.errors_cell is None:
        st.subheader("Images behind a cell")
        st.info(
            "Click a cell of the matrix, for example one of the darker orange ones, to see the images the model put there."
        )
        return None
    true, predicted = st.session_state.errors_cell
    positions = confusion.cell_samples(ev, true, predicted)
    if true == predicted:
        st.subheader(f"True {true} · predicted {predicted} (correct)")
        st.caption(f"{len(positions):,} images of a {true} recognised correctly; the least confident come first.")
    else:
        st.subheader(f"True {true} · predicted {predicted}")
        st.caption(
            f"{len(positions):,} images of a {true} that the model called a {predicted}; the most confident mistakes come first."
        )
    if not len(positions):
        st.info(f"This cell is empty: the model never called a {true} a {predicted} on these images.")
        return None
    pos = gallery_ui(data, ev, positions, key="errors_cell")
    return Inspect(classifier, ev, pos) if pos is not None else None


def mistakes_ui(data: confusion.Dataset, ev: Evaluation, classifier: Classifier) -> Inspect | None:
    st.caption(
        "Every mistake in the set, the ones the model was surest about first: often a badly written digit, "
        "sometimes a wrong label in the dataset itself."
    )
    digits = [ANY, *range(10)]
    true_col, pred_col = st.columns(2)
    show = lambda d: "any digit" if d is ANY else str(d)  # noqa: E731
    true = true_col.selectbox("True digit", digits, key="errors_mistake_true", format_func=show)
    predicted = pred_col.selectbox("Predicted digit", digits, key="errors_mistake_pred", format_func=show)
    positions = confusion.mistakes(ev, true, predicted)
    if not len(positions):
        st.info(
            "No mistakes match these filters."
            if true is not ANY or predicted is not ANY
            else "No mistakes at all on these images."
        )
        return None
    st.caption(f"{len(positions):,} mistakes match.")
    pos = gallery_ui(data, ev, positions, key="errors_mistakes", limit=32, per_row=8)
    return Inspect(classifier, ev, pos) if pos is not None else None


def report_ui(ev: Evaluation) -> None:
    st.caption(
        "**Precision**: of the images the model called this digit, the share that really were. "
        "**Recall**: of the real images of this digit, the share it found. **F1** balances the two. "
        "**Support**: how many images of the digit there are."
    )
    table = pd.DataFrame(ev.per_class).rename(columns=str.capitalize)
    bar = lambda label: st.column_config.ProgressColumn(label, format="percent", min_value=0.0, max_value=1.0)  # noqa: E731
    st.dataframe(
        table,
        hide_index=True,
        key="errors_report",
        column_config={
            "Digit": st.column_config.NumberColumn("Digit", format="%d"),
            "Precision": bar("Precision"),
            "Recall": bar("Recall"),
            "F1": bar("F1"),
            "Support": st.column_config.NumberColumn("Support", format="%d"),
        },
    )


def compare_ui(a: Classifier, data: confusion.Dataset, ev_a: Evaluation) -> Inspect | None:
    """Model A (the picked one) against another model B on the same images."""
    others = [n for n in loaders.model_names()[0] if n != a.name]
    if not others:
        st.info("There is only one model so far. Train another on the Train page, then compare the two here.")
        return None
    if st.session_state.get("errors_compare_model") not in others:
        st.session_state.errors_compare_model = others[0]
    name_b = st.selectbox(f"Compare {a.name} with", others, key="errors_compare_model", format_func=loaders.model_label)
    b, problem = loaders.load_model(name_b)
    if problem:
        st.warning(problem)
        return None
    ev_b = loaders.evaluation(b, data)
    cmp = confusion.compare(ev_a, ev_b)
    cols = st.columns(4)
    cols[0].metric(f"{a.name} accuracy", f"{ev_a.accuracy:.2%}")
    cols[1].metric(f"{b.name} accuracy", f"{ev_b.accuracy:.2%}", delta=f"{ev_b.accuracy - ev_a.accuracy:+.2%}")
    cols[2].metric(f"Only {a.name} right", f"{len(cmp.a_only):,}")
    cols[3].metric(f"Only {b.name} right", f"{len(cmp.b_only):,}")
    matrix_col, samples_col = st.columns(2, gap="medium")
    with matrix_col:
        st.plotly_chart(
            difference_figure(cmp.difference, a.name, b.name), key="errors_compare_matrix", config=CHART_CONFIG
        )
        st.caption(
            f"Each cell: {b.name}'s count minus {a.name}'s. Green where {b.name} does better (more right answers "
            f"on the diagonal, fewer mistakes off it), red where it does worse. Both get {cmp.both_wrong:,} images wrong."
        )
    with samples_col:
        a_tab, b_tab = st.tabs([f"{a.name} right, {b.name} wrong", f"{b.name} right, {a.name} wrong"])
    clicked = None
    for tab, positions, model, ev, key in (
        (a_tab, cmp.a_only, b, ev_b, "errors_cmp_a"),
        (b_tab, cmp.b_only, a, ev_a, "errors_cmp_b"),
    ):
        with tab:
            if not len(positions):
                st.info("No such images.")
                continue
            st.caption(f"Shown with {model.name}'s wrong answer, its most confident mistakes first.")
            pos = gallery_ui(data, ev, positions, key=key, limit=16)
            clicked = Inspect(model, ev, pos) if pos is not None else clicked
    return clicked
