"""AppTest for the Train page (pages/1_Train.py): the form, its refusals, a queued run, a real run, the runs table.

The live panel is a fragment polled every second in a browser; AppTest reruns the page by hand, waiting on
the queue's own condition in between. The page reads its lab's run from the store (model/runs.py): a test
either writes the rows a worker would, or starts a worker thread (the `workers` fixture) that trains for real.
tests/e2e/test_train.py drives a real browser.
"""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from model import runs
from model.db import create_workspace
from model.network import build_model
from model.registry import BUNDLED_NAME, BUNDLED_PATH, Registry, data_home
from model.spec import ArchSpec
from model.store import ModelMeta
from model.workspace import PERSONAL, key_hash, new_key
from tests.conftest import page_test
from training.config import TrainConfig
from training.queue import TrainQueue

PAGE = "pages/1_Train.py"
WAIT = 240  # seconds for a real run: generous, the machine is shared; tests wait on conditions, never on the clock


@pytest.fixture(autouse=True)
def no_standby(monkeypatch):
    """No warmed-up TensorFlow child left waiting after a test's run (each test has its own data dir and workers)."""
    monkeypatch.setenv("DIGITLAB_TRAIN_STANDBY", "0")


def my_run() -> runs.Run | None:
    """The run the Train page of this (personal) lab shows, as the store has it; None if Train started nothing."""
    return runs.latest(data_home(), PERSONAL)


def open_page() -> AppTest:
    return page_test(PAGE)


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def every_text(at: AppTest) -> str:
    """Everything the page says, in one string (to look for what must not be there)."""
    kinds = ("title", "subheader", "markdown", "caption", "info", "warning", "error", "success", "code")
    return "\n".join(e.value for kind in kinds for e in getattr(at, kind))


def picker(at: AppTest):
    """The preset picker ("Start from"): only the person changes it (ui.train.form's docstring)."""
    return next(box for box in at.selectbox if box.label == "Start from")


def field(at: AppTest, base: str) -> str:
    """The key of a form field as drawn now: 'train_epochs' -> 'train_epochs_g2' (ui.train.form.field_key)."""
    return f"{base}_g{at.session_state['train_form_gen']}"


def units(at: AppTest) -> list[int]:
    return [w.value for w in at.number_input if w.label.startswith("Units")]


def add_model(name: str, accuracy: float) -> None:
    arch = ArchSpec.simple([8])
    history = [
        {
            "epoch": e,
            "loss": 1 / e,
            "accuracy": accuracy - 0.1 / e,
            "val_loss": 1.1 / e,
            "val_accuracy": accuracy - 0.12 / e,
        }
        for e in (1, 2, 3)
    ]
    Registry().add(
        build_model(arch, seed=1),
        ModelMeta(
            name=name,
            arch=arch,
            metrics={"accuracy": accuracy, "loss": 0.3},
            history=history,
            train={"optimizer": "adam"},
            train_seconds=1.0,
        ),
    )


def test_first_visit_starts_from_the_bundled_recipe():
    at = open_page()
    assert not at.exception
    bundled = Registry().get(BUNDLED_NAME)
    assert units(at) == [layer.units for layer in bundled.arch.hidden]
    assert at.number_input(key=field(at, "train_epochs")).value == bundled.train["epochs"]
    assert at.number_input(key=field(at, "train_epochs")).label == "Epochs"
    assert at.text_input(key=field(at, "train_name")).label == "Model name"
    assert at.text_input(key=field(at, "train_name")).value == "relu-" + "-".join(
        str(layer.units) for layer in bundled.arch.hidden
    )
    assert at.button(key=field(at, "train_go")).label == "Train"
    assert "Watch it learn" in texts(at.subheader)
    assert at.dataframe[0].value["Name"].tolist() == [BUNDLED_NAME]


def test_a_preset_fills_the_form_and_any_edit_makes_it_my_own():
    at = open_page()
    picker(at).set_value("dense-128-64").run()
    assert units(at) == [128, 64] and at.number_input(key=field(at, "train_epochs")).value == 10
    assert at.text_input(key=field(at, "train_name")).value == "relu-128-64"
    at.number_input(key=field(at, "train_epochs")).set_value(1).run()
    assert "Your own mix, started from 784-128-64-10 ReLU, Adam." in texts(at.caption)
    assert at.number_input(key=field(at, "train_epochs")).value == 1 and picker(at).value == "dense-128-64"
    at.button(key="train_start_over").click().run()  # start over from the preset
    assert at.number_input(key=field(at, "train_epochs")).value == 10 and picker(at).value == "dense-128-64"
    assert "Your own mix" not in " ".join(texts(at.caption))


def test_the_page_never_sets_the_picker_the_browser_shows():
    """Issues #16 and #25: an edit leaves the picker as the browser shows it (a fresh picker saying "My own
    settings" could get the old preset from the browser and refill the form over what was just typed)."""
    at = open_page()
    first = picker(at)
    at.number_input(key=field(at, "train_epochs")).set_value(1).run()
    assert picker(at).key == first.key and picker(at).value == first.value  # never written by the page
    at.number_input(key=field(at, "train_seed")).set_value(3).run()  # the picker's unchanged value: no refill
    assert at.number_input(key=field(at, "train_epochs")).value == 1


def test_rows_can_be_added_and_removed_down_to_softmax_regression():
    at = open_page()
    for key in [b.key for b in at.button if b.key and b.key.startswith("train_rm_")]:
        at.button(key=key).click().run()
    assert units(at) == []
    assert any("softmax regression" in c.value for c in at.caption)
    assert any("784 → 10 · 7,850 parameters" in c.value for c in at.caption)
    at.button(key="train_add_row").click().run()
    assert units(at) == [64]


def test_bad_input_names_each_field_and_starts_nothing():
    at = open_page()
    first, second = [w for w in at.number_input if w.label.startswith("Units")]
    first.set_value(0)
    at.number_input(key=second.key.replace("train_units_", "train_drop_")).set_value(1.0)
    at.number_input(key=field(at, "train_lr")).set_value(0.0)
    at.number_input(key=field(at, "train_batch")).set_value(0)
    at.number_input(key=field(at, "train_epochs")).set_value(0)
    at.button(key=field(at, "train_go")).click().run()
    errors = texts(at.error)
    assert "Units must be a whole number from 1 to 4096, got 0." in errors
    assert "Dropout must be between 0 and 0.8, got 1.0." in errors
    assert "Learning rate must be greater than 0, got 0.0." in errors
    assert "Batch size must be a whole number of at least 1, got 0." in errors
    assert "Epochs must be a whole number of at least 1, got 0." in errors
    assert "Nothing was started: 5 fields above need a change." in errors
    assert my_run() is None


@pytest.mark.parametrize(
    "name, sentence",
    [
        (BUNDLED_NAME, "A model named 'default' already exists; choose another name."),
        ("../models/x", "Model name '../models/x' is not allowed"),
    ],
)
def test_duplicate_and_path_like_names_are_refused(name, sentence):
    at = open_page()
    at.text_input(key=field(at, "train_name")).set_value(name)
    at.button(key=field(at, "train_go")).click().run()
    assert any(e.startswith(sentence) for e in texts(at.error))
    assert my_run() is None


def test_batch_larger_than_the_data_is_refused():
    at = open_page()
    at.number_input(key=field(at, "train_limit")).set_value(100)
    at.slider(key=field(at, "train_val")).set_value(0.1)
    at.number_input(key=field(at, "train_batch")).set_value(128)
    at.button(key=field(at, "train_go")).click().run()
    assert "Batch size 128 is larger than the 90 training images." in texts(at.error)


def test_training_from_the_page_queues_the_run_refuses_a_second_and_activates_the_result(workers):
    """Train queues the run (no worker yet: it waits, first in line), a second press is refused in one sentence
    while it waits, a worker then trains it for real, and the finished run's figures are the registry's."""
    at = open_page()
    picker(at).set_value("dense-128-64").run()
    for key, value in {"train_epochs": 1, "train_batch": 32, "train_limit": 600}.items():
        at.number_input(key=field(at, key)).set_value(value)
    at.text_input(key=field(at, "train_name")).set_value("page-run")
    at.button(key=field(at, "train_go")).click().run()
    assert not texts(at.error)
    assert "page-run is in the queue" in texts(at.subheader)
    assert any(i.startswith("Yours is next.") for i in texts(at.info))
    assert at.text_input(key=field(at, "train_name")).value == "relu-128-64"  # a fresh name for the next run

    at.button(key=field(at, "train_go")).click().run()  # a second run while the first is queued
    assert texts(at.warning) == [
        "Your lab already has a run queued or training; wait for it to finish, or cancel it, then press Train."
    ]
    assert my_run().name == "page-run"

    workers()
    state = TrainQueue(data_home(), PERSONAL).wait(lambda s: s.status in runs.ENDED, WAIT)
    assert state.status == "done", state.error
    at.run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Test accuracy"] == f"{state.result['accuracy']:.2%}"
    assert metrics["Parameters"] == "109,386"
    assert "page-run" in at.dataframe[0].value["Name"].tolist()
    at.button(key="train_activate").click().run()
    assert Registry().active_name() == "page-run"
    assert "page-run is the active model: the Draw page uses it now." in texts(at.success)
    at.button(key="train_dismiss").click().run()
    assert "Watch it learn" in texts(at.subheader)


@pytest.mark.parametrize(
    "others, place", [(0, "Yours is next."), (1, "1 run ahead of yours."), (2, "2 runs ahead of yours.")]
)
def test_a_queued_run_says_its_place_and_cancel_takes_it_out_of_the_queue(others, place):
    """Other labs' runs queued first are counted, never named; Cancel takes mine out before any worker has it."""
    for i in range(others):
        lab = create_workspace(data_home(), key_hash(new_key()))
        runs.submit(data_home(), lab, f"someone-elses-{i}", ArchSpec.simple([16]), TrainConfig(epochs=1).to_dict())
    at = open_page()
    at.text_input(key=field(at, "train_name")).set_value("waiting-run")
    at.button(key=field(at, "train_go")).click().run()
    assert "waiting-run is in the queue" in texts(at.subheader)
    assert any(i.startswith(place) and "Training starts by itself" in i for i in texts(at.info))
    assert "someone-elses" not in every_text(at)
    assert my_run().status == "queued"

    at.button(key="train_cancel").click().run()
    assert my_run().status == "cancelled"
    assert "waiting-run was taken out of the queue before it started; nothing was trained." in texts(at.info)
    assert not Registry().exists("waiting-run")
    at.button(key="train_dismiss").click().run()
    assert "Watch it learn" in texts(at.subheader) and my_run() is None


def test_runs_table_compares_and_deletes_but_never_the_bundled_default():
    add_model("alpha", 0.91)
    add_model("beta", 0.95)
    at = open_page()
    table = at.dataframe[0].value
    assert set(table["Name"]) == {"alpha", "beta", BUNDLED_NAME}
    assert table.set_index("Name").loc["beta", "Test accuracy"] == pytest.approx(95.0)

    at.multiselect(key="train_compare").set_value(["alpha", "beta"]).run()
    chart = at.get("plotly_chart")[-1]
    assert {t["name"] for t in json.loads(chart.proto.spec)["data"]} == {"alpha", "beta"}

    at.selectbox(key="train_manage").set_value("alpha").run()
    at.button(key="train_manage_delete").click().run()
    assert "alpha was deleted." in texts(at.success) and not Registry().exists("alpha")
    assert at.multiselect(key="train_compare").value == ["beta"]

    at.selectbox(key="train_manage").set_value(BUNDLED_NAME).run()
    at.button(key="train_manage_delete").click().run()
    assert "'default' is the bundled default model and cannot be deleted." in texts(at.error)
    assert Registry().exists(BUNDLED_NAME)


def test_the_picked_model_downloads_as_its_keras_file(downloads):
    """Issue #26: Download hands over the registry's own file (weights + metadata), named NAME.keras."""
    add_model("alpha", 0.91)
    at = open_page()
    assert at.selectbox(key="train_manage").value == "alpha"
    button = at.download_button(key="train_manage_download")
    assert button.label == "Download" and not button.disabled
    assert downloads.of(button) == (Registry().get("alpha").path.read_bytes(), "alpha.keras")

    at.selectbox(key="train_manage").set_value(BUNDLED_NAME).run()  # the bundled default too
    assert downloads.of(at.download_button(key="train_manage_download")) == (BUNDLED_PATH.read_bytes(), "default.keras")


def test_runs_table_shows_each_models_share_of_real_pen_data():
    """Issue #25: the pen-data share from each model's TrainConfig; "—" for none and for models saved before it."""
    add_model("older", 0.91)  # train={"optimizer": "adam"}: no pen_data field
    arch = ArchSpec.simple([8])
    Registry().add(build_model(arch, seed=1), ModelMeta(name="penned", arch=arch, train={"pen_data": 0.05}))
    at = open_page()
    pen = at.dataframe[0].value.set_index("Name")["Pen data"]
    assert pen.to_dict() == {BUNDLED_NAME: "30%", "older": "—", "penned": "5%"}
    at.multiselect(key="train_compare").set_value(["older", BUNDLED_NAME]).run()
    assert at.dataframe[1].value.set_index("Name")["Pen data"].to_dict() == {"older": "—", BUNDLED_NAME: "30%"}


# --- issue #16: the panel tells the registry's truth, a failed run's last lines, whose run it is ----

RESULT = {
    "name": "late",
    "accuracy": 0.9,
    "loss": 0.3,
    "train_seconds": 1.0,
    "epochs": 1,
    "best_epoch": 1,
    "params": 12730,
    "stopped": False,
}
BATCH = {
    "event": "batch",
    "epoch": 1,
    "epochs": 200,
    "batch": 5,
    "batches": 50,
    "loss": 2.0,
    "accuracy": 0.3,
    "elapsed": 1.0,
}


def taken(name: str = "late", owner: str = "", epochs: int = 1) -> runs.Run:
    """A run of this test's lab that a worker has taken, in the store as that worker leaves it."""
    home = data_home()
    run = runs.submit(home, PERSONAL, name, ArchSpec.simple([16]), TrainConfig(epochs=epochs).to_dict(), owner)
    return runs.claim(home, run.id, "test-worker:1")


def test_a_discard_that_came_too_late_says_the_model_was_already_saved():
    run = taken()
    assert runs.ask_stop(data_home(), PERSONAL, run.id, "discard")  # pressed while the child was saving
    runs.finish(data_home(), run.id, "done", result=RESULT)
    at = open_page()
    assert "late is trained" in texts(at.subheader)
    assert any("Discard came too late: late had already been saved" in w for w in texts(at.warning))


def test_a_failed_run_shows_its_last_error_lines():
    runs.finish(
        data_home(),
        taken().id,
        "failed",
        error="Training stopped unexpectedly (exit code 1); its last lines are below, and in the server log.",
        stderr_tail="Traceback (most recent call last):\nValueError: boom",
    )
    at = open_page()
    assert any("late did not finish" in e for e in texts(at.error))
    assert [c.value for c in at.code] == ["Traceback (most recent call last):\nValueError: boom"]


def test_another_tabs_run_is_shown_named_as_theirs_and_its_stop_warns():
    """A run of my lab started in another tab: I see it train, and Stop says whose run it stops."""
    run = taken("theirs", owner="another-tab", epochs=200)
    runs.record(data_home(), run.id, [BATCH], 0, "training", progress=5 / 10_000, fit_elapsed=1.0)
    at = open_page()
    assert "Training theirs" in texts(at.subheader)
    assert any("Started from another tab or browser" in c.value for c in at.caption)
    assert any("stopping it stops that person's run" in w for w in texts(at.warning))
    at.button(key="train_stop_discard").click().run()
    assert runs.get(data_home(), PERSONAL, run.id).stop == "discard"  # asked of the worker, through the store
    assert any("Stopping after the current batch" in c.value for c in at.caption)


def test_another_tabs_queued_run_is_named_as_theirs():
    runs.submit(data_home(), PERSONAL, "theirs", ArchSpec.simple([16]), TrainConfig(epochs=1).to_dict(), "another-tab")
    at = open_page()
    assert "theirs is in the queue" in texts(at.subheader)
    assert any("Queued from another tab or browser of this lab." in c.value for c in at.caption)


def test_a_preset_draws_every_field_afresh_and_never_writes_the_ones_the_browser_shows():
    """Issue #25, item 2: the browser goes on sending its copy of the fields it shows. A preset puts its values
    in fields under new keys, so that copy (a rerun sent before the preset's values arrived) changes nothing."""
    at = open_page()
    at.number_input(key=field(at, "train_epochs")).set_value(1).run()
    fields = lambda: [*at.number_input, *at.text_input, *at.selectbox, *at.slider, *at.toggle]  # noqa: E731
    gen = field(at, "")
    shown = {w.key: w.value for w in fields() if w.key.endswith(gen)}
    assert len(shown) == 15 + 1 + 2 * 3  # the settings, the name, the bundled recipe's two rows
    picker(at).set_value("dense-128-64").run()
    assert at.number_input(key=field(at, "train_epochs")).value == 10 and units(at) == [128, 64]
    assert not {w.key for w in fields()} & set(shown)  # every field is new
    for key, value in shown.items():  # and the old ones keep what the browser had
        assert key not in at.session_state or at.session_state[key] == value, key
    at.number_input(key=field(at, "train_epochs")).set_value(1).run()  # the epochs had before: an edit like any
    assert at.number_input(key=field(at, "train_epochs")).value == 1 and picker(at).value == "dense-128-64"
    assert "Your own mix, started from 784-128-64-10 ReLU, Adam." in texts(at.caption)


def _a_preset_picked_while_the_browser_still_shows_the_old_form():
    """The callbacks of a rerun racing a preset, as the server runs them: the preset fills the form (a new
    generation), then a rerun sent from the old form arrives with an edit made on it and a Train press."""
    import streamlit as st

    from training.presets import all_presets
    from ui.models import registry
    from ui.stores import train_queue
    from ui.train.form import GEN, _edited, _fill, _train, field_key, form_values, init_form

    models, state = registry(), st.session_state
    presets = {p.key: p for p in all_presets(models)}
    init_form(list(presets.values()), models)
    if "result" not in state:
        old = state[GEN]
        _fill(presets["dense-128-64"], models)  # the picker's callback
        state[field_key("train_seed", old)] = 7  # typed on the old form after the pick
        _edited("train_seed", old)
        _train(models, train_queue(), 0, old)  # Train pressed on the old form
        state.result = {
            "notice": state.train_notice,
            "values": form_values(),
            "queued": train_queue().snapshot().active,
        }


def test_an_edit_on_the_old_form_is_carried_over_and_its_train_press_starts_nothing():
    at = AppTest.from_function(_a_preset_picked_while_the_browser_still_shows_the_old_form, default_timeout=60).run()
    assert not at.exception
    result = at.session_state["result"]
    assert result["notice"] == (
        "Nothing was started: the form was still filling in from the preset when Train was pressed. "
        "Check it and press Train again."
    )
    assert not result["queued"] and my_run() is None
    assert result["values"].seed == 7 and result["values"].epochs == 10  # the edit kept, on the preset's form
    assert [row.units for row in result["values"].layers] == [128, 64]


def _form_set_up_only():
    """The Train page's form set-up alone: a first run cut short before the form is drawn (as a rerun cuts it)."""
    from training.presets import all_presets
    from ui.models import registry
    from ui.train.form import init_form

    models = registry()
    init_form(all_presets(models), models)


def test_a_first_run_cut_short_never_fills_the_form_again_over_what_was_typed():
    """Issue #16, item 2: what a person typed while the page's first run was still drawing survives the next run."""
    at = AppTest.from_function(_form_set_up_only, default_timeout=60).run()
    assert at.session_state[field(at, "train_epochs")] == Registry().get(BUNDLED_NAME).train["epochs"]
    at.session_state[field(at, "train_name")] = "typed-at-once"
    at.session_state[field(at, "train_epochs")] = 1
    at.run()
    assert not at.exception
    assert at.session_state[field(at, "train_name")] == "typed-at-once"
    assert at.session_state[field(at, "train_epochs")] == 1
