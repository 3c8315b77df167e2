"""The Train page's runs table: every model in the registry, compared and managed.

    runs_ui(registry)   # sortable table -> overlay the curves of 2+ models -> make active / download / delete

The bundled default, and in a class the model the teacher shares, are listed like any model but can never
be deleted (the registry refuses).
Download hands over the model's own .keras file, its metadata inside (model/export.py).
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

import streamlit as st

from model.export import model_bytes
from model.registry import ModelRecord, Registry, RegistryError
from ui.charts import CHART_CONFIG
from ui.models import model_multipicker
from ui.train.charts import compare_figure


def pen_share(share: float | None) -> str:
    """TrainConfig.pen_data as the tables show it: 0.3 -> "30%"; 0, or a model saved before the field -> "—"."""
    return f"{share:.0%}" if share else "—"


def runs_rows(records: list[ModelRecord]) -> list[dict]:
    """One table row per model; accuracy in percent so the column sorts and reads naturally."""
    return [
        {
            "Name": r.name,
            "Architecture": r.arch.describe(),
            "Parameters": r.params,
            "Test accuracy": None if r.accuracy is None else 100 * r.accuracy,
            "Epochs": len(r.history),
            "Pen data": pen_share(r.train.get("pen_data")),
            "Training time": r.train_seconds,
            "Created": datetime.fromisoformat(r.created) if r.created else None,
            "Active": r.active,
        }
        for r in records
    ]


COLUMNS = {
    "Name": st.column_config.TextColumn(width="medium"),
    "Parameters": st.column_config.NumberColumn(format="localized"),
    "Test accuracy": st.column_config.NumberColumn(format="%.2f %%"),
    "Training time": st.column_config.NumberColumn(format="%.1f s"),
    "Pen strokes": st.column_config.NumberColumn(
        format="percent", help="Share of the digits redrawn as quick pen strokes"
    ),
    "Pen data": st.column_config.TextColumn(help="Share of each batch drawn from real pen data (UCI pendigits)"),
    "Created": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
    "Active": st.column_config.CheckboxColumn(help="The model the Draw page uses"),
}


def table_ui(records: list[ModelRecord]) -> None:
    st.dataframe(runs_rows(records), column_config=COLUMNS, hide_index=True, key="train_runs_table")
    st.caption("Click a column header to sort.")


def compare_ui(records: list[ModelRecord]) -> None:
    chosen = model_multipicker(
        "Compare models",
        key="train_compare",
        records=records,
        help="Pick two or more to overlay their validation curves.",
    )
    if len(chosen) < 2:
        st.caption("Pick two or more models to overlay their learning curves and compare their numbers.")
        return
    st.plotly_chart(compare_figure({r.name: r.history for r in chosen}), config=CHART_CONFIG, key="train_compare_chart")
    st.dataframe(
        [
            {
                "Name": r.name,
                "Test accuracy": None if r.accuracy is None else 100 * r.accuracy,
                "Test loss": r.metrics.get("loss"),
                "Parameters": r.params,
                "Epochs": len(r.history),
                "Training time": r.train_seconds,
                "Optimizer": r.train.get("optimizer"),
                "Learning rate": r.train.get("learning_rate"),
                "Batch size": r.train.get("batch_size"),
                "Augmented": r.train.get("augment"),
                "Pen strokes": r.train.get("pen_strokes", 0.0),
                "Pen data": pen_share(r.train.get("pen_data")),
            }
            for r in chosen
        ],
        column_config={**COLUMNS, "Test loss": st.column_config.NumberColumn(format="%.4f")},
        hide_index=True,
        key="train_compare_table",
    )


def manage_ui(records: list[ModelRecord], registry: Registry) -> None:
    by_name = {r.name: r for r in records}
    if st.session_state.get("train_manage") not in by_name:
        st.session_state.train_manage = records[0].name
    pick, activate, download, delete = st.columns([4, 2, 2, 2], vertical_alignment="bottom")
    name = pick.selectbox("Model", list(by_name), key="train_manage")
    record = by_name[name]
    activate.button(
        "Make active",
        key="train_manage_activate",
        icon=":material/bolt:",
        disabled=record.active,
        on_click=_act,
        args=(registry.set_active, name, f"{name} is now the active model."),
        width="stretch",
    )
    download.download_button(
        "Download",
        data=partial(model_bytes, record),  # read on click, not at every rerun: a model file runs to tens of MB
        file_name=f"{name}.keras",
        mime="application/octet-stream",
        key="train_manage_download",
        icon=":material/download:",
        on_click="ignore",
        width="stretch",
        help="The model's .keras file, with its architecture, training settings, test metrics and curves inside: "
        "keras.saving.load_model opens it.",
    )
    with delete.popover(
        "Delete",
        icon=":material/delete:",
        disabled=record.bundled or record.from_class,
        width="stretch",
        help="The bundled default cannot be deleted."
        if record.bundled
        else "Your teacher shares this model with the class; only they can remove it."
        if record.from_class
        else None,
    ):
        st.markdown(f"Delete **{name}** and its file? This cannot be undone.")
        st.button(
            f"Delete {name}",
            key="train_manage_delete",
            type="primary",
            on_click=_act,
            args=(registry.delete, name, f"{name} was deleted."),
        )
    notice = st.session_state.pop("train_manage_notice", None)
    if notice:
        (st.error if notice[0] == "error" else st.success)(notice[1])


def _act(action, name: str, done: str) -> None:
    try:
        action(name)
    except RegistryError as error:
        st.session_state.train_manage_notice = ("error", str(error)[:1].upper() + str(error)[1:])
        return
    st.session_state.train_manage_notice = ("success", done)


def runs_ui(registry: Registry) -> None:
    records = registry.records()
    st.subheader(f"All models ({len(records)})")
    table_ui(records)
    compare_ui(records)
    manage_ui(records, registry)
