"""The Train page's form: presets, hidden-layer rows, training settings, model name, the Train button.

    init_form(presets, registry)        # once per run, before any widget
    form_ui(presets, registry, runner)  # draws the form; Train checks it (training.form) and starts the runner

Widget values live in session_state under `train_*` keys. Streamlit forgets the state of widgets
a page does not draw, so a copy is kept under `_train_form` and restored when the user comes back
from the Draw page. A bad field gets its sentence right under it; nothing starts.

The page never writes a widget the browser shows: the browser would go on sending its own copy,
and a rerun it sent before hearing of the change would undo it (issues #16 and #25). So
- the preset picker only ever changes when the person picks: after an edit it still shows the preset the form
  started from, and the caption under it says the form is their own mix, with a button to start over (the
  browser reuses a selectbox by its place on the page, so a re-keyed picker could get the old preset back:
  docs/experiments.md, 2026-12-06);
- a preset, or a Train press, draws every field afresh under keys of a new generation
  (`train_epochs_g<n>`): the old fields' values, stale copies or not, change nothing by themselves;
- an edit the person made on the old fields before the new ones arrived is carried over to them
  (Streamlit calls on_change only for a value that differs from the last one that field had);
- a Train press from the old form is refused: it showed other values than the form holds now.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from model.classes import model_room
from model.registry import Registry
from model.spec import ACTIVATIONS, MAX_DROPOUT, MAX_UNITS, ArchSpec, LayerSpec, SpecError
from training.config import OPTIMIZERS, SCHEDULES
from training.form import FormErrors, FormValues, LayerRow, suggest_name, to_plan
from training.presets import Preset
from training.queue import RunRefused, TrainQueue
from ui.stores import drawing_store
from ui.train.live import session_id
from ui.workspace import current_workspace

OPTIMIZER_LABELS = {"adam": "Adam", "sgd": "SGD with momentum", "rmsprop": "RMSprop"}
SCHEDULE_LABELS = {"constant": "Constant", "cosine": "Cosine decay to 0"}
PRESET = "train_preset"  # the preset picker's key: the page sets it once, before the picker is first drawn
EDITED = "_train_edited"  # set by any change to the recipe since the last preset filled the form
LAYERS_CSS = Path(__file__).with_name("layers.css")  # the layer rows' columns shrink with the row (no side-scroll)
# TrainConfig field -> widget key
SETTING_KEYS = {
    "optimizer": "train_optimizer",
    "learning_rate": "train_lr",
    "batch_size": "train_batch",
    "epochs": "train_epochs",
    "validation_split": "train_val",
    "augment": "train_augment",
    "pen_strokes": "train_pen",
    "pen_data": "train_pen_data",
    "include_drawings": "train_drawings",
    "seed": "train_seed",
    "schedule": "train_schedule",
    "label_smoothing": "train_smoothing",
    "early_stopping": "train_patience",
    "train_limit": "train_limit",
    "snapshots": "train_snapshots",
}
ROW_KEYS = ("train_units_{}", "train_act_{}", "train_drop_{}")
NAME = "train_name"
SAVED = "_train_form"  # a plain (non-widget) copy of the form, which survives visits to other pages
FILLED = "_train_form_filled"  # set once this session has filled the form from the first preset
GEN = "train_form_gen"  # the fields' generation: a preset or a Train press draws them under fresh keys
RENEWED_BY = "_train_renewed_by"  # "preset" or "train": what drew the fields of this generation
STALE_PRESS = (
    "Nothing was started: the form was still filling in from the preset when Train was pressed. "
    "Check it and press Train again."
)


def field_key(base: str, gen: int | None = None) -> str:
    """'train_epochs' -> 'train_epochs_g3', the key of that field in generation `gen` (default: the current one)."""
    return f"{base}_g{st.session_state[GEN] if gen is None else gen}"


def _field_bases() -> list[str]:
    rows = [k.format(i) for i in st.session_state.train_layer_ids for k in ROW_KEYS]
    return [NAME, *SETTING_KEYS.values(), *rows]


def _widget_keys() -> list[str]:
    return [PRESET, *map(field_key, _field_bases())]


def init_form(presets: list[Preset], registry: Registry) -> None:
    """Restore the form after a visit elsewhere, or fill it from the first preset on a first visit."""
    state = st.session_state
    state.setdefault("train_errors", {})  # field -> sentence from the last Train press
    state.setdefault("train_notice", None)  # a refusal sentence from the runner
    if state.get(FILLED):
        for key, value in state.get(SAVED, {}).items():
            state.setdefault(key, value)
        return
    state[FILLED] = True  # first, before any widget: a rerun that interrupts this run must not fill the form again
    state.train_next_row = 0
    state[PRESET] = presets[0].key
    _fill(presets[0], registry)


def _fill(preset: Preset, registry: Registry) -> None:
    """Draw every field afresh with a preset's recipe and a free name."""
    state = st.session_state
    values = FormValues.from_recipe(preset.arch, preset.cfg)
    state.train_layer_ids = []
    fields: dict[str, Any] = {}
    for row in values.layers:
        fields |= _new_row(row)
    fields |= {key: getattr(values, field) for field, key in SETTING_KEYS.items()}
    fields[NAME] = suggest_name(preset.arch, registry)
    _renew(fields, "preset")
    state.train_errors = {}
    state[EDITED] = False


def _renew(fields: dict[str, Any], by: str) -> None:
    """Start a new generation of the fields holding `fields` (base key -> value); see the module's docstring."""
    state = st.session_state
    state[GEN] = state.get(GEN, -1) + 1
    state[RENEWED_BY] = by
    for base, value in fields.items():
        state[field_key(base)] = value


def _new_row(row: LayerRow) -> dict[str, Any]:
    """Append a row id to the form; returns its fields (base key -> value) for the caller to set."""
    state = st.session_state
    i = state.train_next_row
    state.train_next_row += 1
    state.train_layer_ids = [*state.train_layer_ids, i]
    return {key.format(i): value for key, value in zip(ROW_KEYS, (row.units, row.activation, row.dropout))}


def _add_row(row: LayerRow = LayerRow(64)) -> None:
    for base, value in _new_row(row).items():
        st.session_state[field_key(base)] = value  # a new widget: no browser has a copy of it yet


def _carry(base: str, gen: int) -> None:
    """A field of generation `gen` changed. If the browser still showed an older generation, the person's
    change is carried over to the field of the same name now drawn, if there is one (a preset's rows are new)."""
    state = st.session_state
    if gen != state[GEN] and base in _field_bases():
        state[field_key(base)] = state[field_key(base, gen)]


def _edited(base: str | None = None, gen: int | None = None) -> None:
    """Any change to the recipe: the form is the person's own mix now (the picker is left as it is)."""
    if base is not None and gen is not None:
        _carry(base, gen)
    st.session_state[EDITED] = True


def _remove_row(i: int) -> None:
    _edited()
    st.session_state.train_layer_ids = [j for j in st.session_state.train_layer_ids if j != i]
    st.session_state.train_errors = {}  # row positions moved: old sentences would point at the wrong rows


def _values() -> dict[str, Any]:
    """base key -> value of every field drawn now."""
    return {base: st.session_state[field_key(base)] for base in _field_bases()}


def form_values() -> FormValues:
    """The widgets' current values, unchecked."""
    values = _values()
    layers = [LayerRow(*(values[k.format(i)] for k in ROW_KEYS)) for i in st.session_state.train_layer_ids]
    return FormValues(layers=layers, name=values[NAME], **{f: values[k] for f, k in SETTING_KEYS.items()})


def _on_change(base: str) -> dict[str, Any]:
    """A field's key and its on_change hook, as keyword arguments for its widget."""
    gen = st.session_state[GEN]
    return {"key": field_key(base, gen), "on_change": _edited, "args": (base, gen)}


def _error(field: str) -> None:
    sentence = st.session_state.train_errors.get(field)
    if sentence:
        st.error(sentence, icon=":material/error:")


# --- the sections of the form ---------------------------------------------------------------


def preset_ui(presets: list[Preset], registry: Registry) -> None:
    by_key = {p.key: p for p in presets}
    if st.session_state.get(PRESET) not in by_key:  # a preset gone since (its model deleted): the first one
        st.session_state[PRESET] = presets[0].key
    st.selectbox(
        "Start from",
        list(by_key),
        key=PRESET,
        on_change=lambda: _fill(by_key[st.session_state[PRESET]], registry),
        format_func=lambda k: by_key[k].label,
        help="Fills in the whole form; change anything afterwards.",
    )
    preset = by_key[st.session_state[PRESET]]
    # one container whatever it holds: an element appearing or vanishing would shift every widget below it,
    # and the browser reuses a widget by its place on the page
    with st.container(key="train_preset_note"):
        if not st.session_state.get(EDITED):
            st.caption(preset.note)
            return
        st.caption(f"Your own mix, started from {preset.label}.")
        st.button(
            "Start over from this preset",
            key="train_start_over",
            icon=":material/restart_alt:",
            type="tertiary",
            on_click=_fill,
            args=(preset, registry),
        )


def layers_ui() -> None:
    st.markdown("**Hidden layers** (input 784 pixels → … → 10 digits)")
    ids = st.session_state.train_layer_ids
    if not ids:
        st.caption("No hidden layers: the pixels go straight to the 10 outputs (softmax regression).")
    widths = [3, 3, 3, 1]
    # wrap=False: on a phone (<= 640 px) the header and each row stay one line, each field under its title;
    # stacked, the titles came first and then all the fields, and which field was which was lost (issue #27)
    st.html(LAYERS_CSS)
    with st.container(key="train_layers"):
        if ids:  # one header row; each widget still has its own (hidden) label for screen readers and tests
            for col, title in zip(st.columns(widths, wrap=False), ("Units", "Activation", "Dropout", "")):
                col.caption(title)
        for pos, i in enumerate(ids):
            units, act, drop, rm = st.columns(widths, vertical_alignment="center", wrap=False)
            n = pos + 1
            units.number_input(
                f"Units (layer {n})",
                **_on_change(f"train_units_{i}"),
                step=16,
                label_visibility="collapsed",
                help=f"Neurons in this layer, 1 to {MAX_UNITS}.",
            )
            act.selectbox(
                f"Activation (layer {n})",
                ACTIVATIONS,
                **_on_change(f"train_act_{i}"),
                label_visibility="collapsed",
            )
            drop.number_input(
                f"Dropout (layer {n})",
                **_on_change(f"train_drop_{i}"),
                step=0.05,
                format="%.2f",
                label_visibility="collapsed",
                help=f"Share of this layer's outputs dropped while training, 0 to {MAX_DROPOUT}.",
            )
            rm.button(
                "",
                key=f"train_rm_{i}",
                icon=":material/close:",
                type="tertiary",
                width="stretch",  # the whole column takes the tap, not only the 16 px cross
                on_click=_remove_row,
                args=(i,),
                help=f"Remove layer {n}",
            )
            _error(f"layers.{pos}")
    st.button("Add a layer", key="train_add_row", icon=":material/add:", on_click=lambda: (_edited(), _add_row()))
    st.caption(_shape_line())


def _shape_line() -> str:
    """'784 → 128 → 64 → 10 · 109,386 parameters' for the rows as they are (or why it can't be counted)."""
    try:
        arch = ArchSpec(tuple(LayerSpec(int(r.units), r.activation, float(r.dropout)) for r in form_values().layers))
    except (SpecError, TypeError, ValueError):
        return "Fix the layers above to see the network's size."
    return f"{' → '.join(map(str, arch.layer_sizes))} · {arch.params:,} parameters to learn"


def settings_ui(n_drawings: int) -> None:
    left, right = st.columns(2)
    with left:
        st.selectbox(
            "Optimizer",
            OPTIMIZERS,
            **_on_change("train_optimizer"),
            format_func=OPTIMIZER_LABELS.get,
        )
        _error("optimizer")
        st.number_input(
            "Batch size",
            **_on_change("train_batch"),
            step=32,
            help="Images per weight update.",
        )
        _error("batch_size")
        st.slider(
            "Validation split",
            0.0,
            0.5,
            **_on_change("train_val"),
            step=0.05,
            help="Share of the training images held out to watch for overfitting (the dashed curves).",
        )
        _error("validation_split")
    with right:
        st.number_input(
            "Learning rate",
            **_on_change("train_lr"),
            step=1e-4,
            format="%g",
            help="Size of each weight update, > 0.",
        )
        _error("learning_rate")
        st.number_input(
            "Epochs",
            **_on_change("train_epochs"),
            step=1,
            help="Passes over the training images.",
        )
        _error("epochs")
        st.number_input(
            "Seed",
            **_on_change("train_seed"),
            step=1,
            help="Same seed, same settings: the same model.",
        )
        _error("seed")
    st.toggle(
        "Augmentation (randomly shift, rotate, thicken the digits each epoch)",
        **_on_change("train_augment"),
    )
    st.slider(
        "Redraw as quick pen strokes",
        0.0,
        1.0,
        **_on_change("train_pen"),
        step=0.05,
        help="Share of the digits redrawn each epoch as one constant-width line of a few straight segments, "
        "the way people draw with a mouse: the network learns drawings, not only MNIST's scans.",
    )
    _error("pen_strokes")
    st.slider(
        "Real pen data",
        0.0,
        0.95,
        **_on_change("train_pen_data"),
        step=0.05,
        help="Share of each batch drawn from the pen trajectories of 30 real writers (UCI pendigits), "
        "drawn like a canvas drawing: the network learns how other people write.",
    )
    _error("pen_data")
    st.toggle(
        f"Include my labelled drawings ({n_drawings} saved)",
        **_on_change("train_drawings"),
        help="Drawings you labelled on the Draw page join the training images.",
    )
    with st.expander("More settings"):
        st.selectbox(
            "Learning-rate schedule",
            SCHEDULES,
            **_on_change("train_schedule"),
            format_func=SCHEDULE_LABELS.get,
        )
        st.number_input(
            "Label smoothing",
            **_on_change("train_smoothing"),
            step=0.05,
            format="%.2f",
            help="0 to 0.3.",
        )
        _error("label_smoothing")
        st.number_input(
            "Early stopping patience (epochs, 0 = off)",
            **_on_change("train_patience"),
            step=1,
        )
        _error("early_stopping")
        st.number_input(
            "Train on the first N images only (0 = all 60,000)",
            **_on_change("train_limit"),
            step=1000,
            help="A quick experiment on less data.",
        )
        _error("train_limit")
        st.toggle(
            "Record a replay (the neurons and guesses, epoch by epoch)",
            **_on_change("train_snapshots"),
            help="Keeps 36 first-layer neurons' weights and the test digits' guesses at every epoch beside the model, "
            "a few MB at most, so you can replay how it learned.",
        )


def train_button_ui(registry: Registry, runner: TrainQueue, n_drawings: int) -> None:
    gen = st.session_state[GEN]
    st.text_input(
        "Model name",
        key=field_key(NAME),
        on_change=_carry,
        args=(NAME, gen),
        max_chars=64,
        help="Letters, digits, '-' and '_'.",
    )
    _error("name")
    st.button(
        "Train",
        key=field_key("train_go"),
        type="primary",
        icon=":material/play_arrow:",
        width="stretch",
        on_click=_train,
        args=(registry, runner, n_drawings, gen),
    )
    errors = st.session_state.train_errors
    if errors:
        st.error(
            f"Nothing was started: {len(errors)} field{'s' if len(errors) > 1 else ''} above need"
            f"{'' if len(errors) > 1 else 's'} a change."
        )
    if st.session_state.train_notice:
        st.warning(st.session_state.train_notice, icon=":material/hourglass_top:")


def _train(registry: Registry, runner: TrainQueue, n_drawings: int, gen: int) -> None:
    """Train pressed on the form of generation `gen`: check the whole form, then start the run (or say why not)."""
    state = st.session_state
    state.train_notice = None
    if gen != state[GEN]:  # pressed on a form the browser showed before this one was drawn
        if state[RENEWED_BY] == "preset":
            state.train_notice = STALE_PRESS
        return  # after a Train press: the same click twice, and its run has started
    try:
        plan = to_plan(form_values(), registry, n_drawings)
    except FormErrors as error:
        state.train_errors = error.errors
        return
    state.train_errors = {}
    over_limit = model_room(registry.home, current_workspace())  # a student's class limits the models kept
    if over_limit:
        state.train_notice = over_limit
        return
    try:
        runner.start(plan.name, plan.arch, plan.cfg, owner=session_id())
    except RunRefused as refusal:
        state.train_notice = str(refusal)
        return
    # ready for the next run: a fresh name, in fields drawn afresh (the browser still holds the old name)
    _renew(_values() | {NAME: suggest_name(plan.arch, registry, also_taken=(plan.name,))}, "train")


def form_ui(presets: list[Preset], registry: Registry, runner: TrainQueue) -> None:
    n_drawings = drawing_store().count()
    preset_ui(presets, registry)
    layers_ui()
    settings_ui(n_drawings)
    train_button_ui(registry, runner, n_drawings)
    st.session_state[SAVED] = {k: st.session_state[k] for k in _widget_keys() if k in st.session_state} | {
        "train_layer_ids": st.session_state.train_layer_ids,
        "train_next_row": st.session_state.train_next_row,
    }
