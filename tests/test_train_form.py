"""The Train form as data: widget values -> (name, ArchSpec, TrainConfig), every bad field named; presets; CLI args."""

import json

import pytest

from model.registry import BUNDLED_NAME, Registry
from model.spec import ArchSpec, LayerSpec
from training.__main__ import build_parser, train_config
from training.config import TrainConfig
from training.form import FormErrors, FormValues, LayerRow, suggest_name, to_plan, training_images
from training.presets import NOTEBOOK_PRESETS, all_presets, bundled_preset
from training.runner import fit_args


def errors_of(values: FormValues, **kwargs) -> dict:
    with pytest.raises(FormErrors) as caught:
        to_plan(values, Registry(), **kwargs)
    return caught.value.errors


def test_good_form_maps_to_the_same_objects_the_cli_uses():
    values = FormValues(
        layers=[LayerRow(128, "relu", 0.2), LayerRow(64.0, "tanh", 0.0)],
        name="my-net",
        optimizer="rmsprop",
        learning_rate=0.002,
        batch_size=64.0,
        epochs=3,
        validation_split=0.2,
        augment=True,
        pen_strokes=0.4,
        pen_data=0.15,
        include_drawings=False,
        seed=7,
        schedule="cosine",
        label_smoothing=0.1,
        early_stopping=2,
        train_limit=5000,
    )
    plan = to_plan(values, Registry())
    assert plan.name == "my-net"
    assert plan.arch == ArchSpec((LayerSpec(128, "relu", 0.2), LayerSpec(64, "tanh", 0.0)))
    assert plan.cfg == TrainConfig(
        optimizer="rmsprop",
        learning_rate=0.002,
        batch_size=64,
        epochs=3,
        validation_split=0.2,
        augment=True,
        pen_strokes=0.4,
        pen_data=0.15,
        seed=7,
        schedule="cosine",
        label_smoothing=0.1,
        early_stopping=2,
        train_limit=5000,
    )
    assert isinstance(plan.cfg.batch_size, int)  # 64.0 from a number input became a whole number


def test_zero_layers_is_softmax_regression():
    plan = to_plan(FormValues(layers=[], name="softmax"), Registry())
    assert plan.arch.hidden == () and plan.arch.params == 784 * 10 + 10


def test_every_bad_field_gets_its_own_sentence_and_nothing_is_planned():
    errors = errors_of(
        FormValues(
            layers=[LayerRow(128), LayerRow(0), LayerRow(32, "relu", 1.0)],
            name="ok",
            learning_rate=0.0,
            batch_size=0,
            epochs=0,
            validation_split=0.9,
            seed=-1,
        )
    )
    assert set(errors) == {"layers.1", "layers.2", "learning_rate", "batch_size", "epochs", "validation_split", "seed"}
    assert errors["layers.1"].startswith("Units must be a whole number from 1 to 4096")
    assert errors["layers.2"].startswith("Dropout must be between 0 and 0.8")
    assert errors["learning_rate"].startswith("Learning rate must be greater than 0")
    assert errors["batch_size"].startswith("Batch size must be a whole number of at least 1")
    assert errors["epochs"].startswith("Epochs must be a whole number of at least 1")


@pytest.mark.parametrize(
    "field, value",
    [
        ("learning_rate", -0.1),
        ("epochs", 2.5),
        ("batch_size", None),
        ("label_smoothing", 0.5),
        ("early_stopping", -1),
        ("optimizer", "lbfgs"),
        ("pen_strokes", 1.2),
        # issue #16: the seed range NumPy and Keras take; no infinite step size
        ("seed", 2**32),
        ("seed", -1),
        ("learning_rate", float("inf")),
        ("learning_rate", float("nan")),
        ("pen_data", 1.0),
    ],
)
def test_single_bad_setting_is_named(field, value):
    assert set(errors_of(FormValues(layers=[LayerRow(16)], name="ok", **{field: value}))) == {field}


@pytest.mark.parametrize(
    "units, dropout", [(4097, 0.0), (12.5, 0.0), (None, 0.0), (16, 0.8000001), (16, None), (16, -0.1)]
)
def test_bad_layer_rows(units, dropout):
    assert set(errors_of(FormValues(layers=[LayerRow(units, "relu", dropout)], name="ok"))) == {"layers.0"}


def test_batch_larger_than_the_data_is_refused_counting_limit_split_and_drawings():
    assert training_images(0, 0.1) == 54_000
    assert training_images(1000, 0.2) == 800
    assert training_images(0, 0.0, n_drawings=5) == 60_005
    errors = errors_of(FormValues(layers=[], name="ok", batch_size=801, train_limit=1000, validation_split=0.2))
    assert errors == {"batch_size": "Batch size 801 is larger than the 800 training images."}
    assert to_plan(FormValues(layers=[], name="ok", batch_size=800, train_limit=1000, validation_split=0.2), Registry())


@pytest.mark.parametrize("name", ["../evil", "a/b", "x" * 65, "with space", ".hidden", ""])
def test_path_like_and_empty_names_are_refused(name):
    assert set(errors_of(FormValues(layers=[LayerRow(16)], name=name))) == {"name"}


def test_duplicate_name_is_refused():
    errors = errors_of(FormValues(layers=[LayerRow(16)], name=BUNDLED_NAME))
    assert errors == {"name": "A model named 'default' already exists; choose another name."}


def test_suggested_names_are_free_and_readable():
    registry = Registry()
    arch = ArchSpec.simple([128, 64])
    assert suggest_name(arch, registry) == "relu-128-64"
    assert suggest_name(arch, registry, also_taken=("relu-128-64",)) == "relu-128-64-2"
    assert suggest_name(ArchSpec(), registry) == "softmax"


def test_bundled_preset_is_read_from_the_bundled_models_metadata():
    record = Registry().get(BUNDLED_NAME)
    preset = bundled_preset()
    assert preset.arch == record.arch
    assert preset.cfg == TrainConfig.from_dict(record.train)
    assert all_presets()[0] == preset and all_presets()[1:] == list(NOTEBOOK_PRESETS)


def test_notebook_presets_are_the_notebook_architectures():
    shapes = {p.key: (p.arch.layer_sizes, p.arch.hidden[0].activation, p.cfg.optimizer) for p in NOTEBOOK_PRESETS}
    assert shapes["dense-128-64"] == ([784, 128, 64, 10], "relu", "adam")
    assert shapes["dense-128-256-sgd"] == ([784, 128, 256, 10], "relu", "sgd")
    assert shapes["dense-100"] == ([784, 100, 10], "relu", "adam")
    assert shapes["dense-sigmoid"][1:] == ("sigmoid", "adam")
    assert {p.key: p.cfg.epochs for p in NOTEBOOK_PRESETS}["dense-128-256-sgd"] == 50


def test_a_preset_fills_the_form_and_maps_back_to_itself():
    for preset in all_presets():
        plan = to_plan(FormValues.from_recipe(preset.arch, preset.cfg, name="again"), Registry())
        assert (plan.arch, plan.cfg) == (preset.arch, preset.cfg)


def test_fit_args_make_the_cli_train_exactly_the_plan():
    arch = ArchSpec((LayerSpec(32, "gelu", 0.3), LayerSpec(16, "sigmoid", 0.0)))
    cfg = TrainConfig(
        optimizer="sgd",
        learning_rate=0.0123,
        batch_size=48,
        epochs=4,
        validation_split=0.15,
        augment=True,
        pen_strokes=0.35,
        pen_data=0.25,
        include_drawings=True,
        seed=3,
        schedule="cosine",
        label_smoothing=0.05,
        early_stopping=1,
        train_limit=900,
    )
    args = build_parser().parse_args(["fit", *fit_args("cli-net", arch, cfg, on_stop="discard")])
    assert ArchSpec.from_dict(json.loads(args.arch)) == arch
    parsed = train_config(args)
    assert parsed == cfg
    assert (args.name, args.on_stop, args.json) == ("cli-net", "discard", True)


def test_the_seed_is_checked_like_every_other_field():
    errors = errors_of(FormValues(layers=[LayerRow(16)], name="ok", seed=4294967296))
    assert errors == {"seed": "Seed must be a whole number from 0 to 4294967295, got 4294967296."}
    assert to_plan(FormValues(layers=[LayerRow(16)], name="ok", seed=2**32 - 1), Registry()).cfg.seed == 2**32 - 1


def test_a_loss_that_turns_nan_stops_the_fit_within_a_few_batches():
    import math

    from training.loop import Callbacks, _Bridge

    class FakeModel:
        stop_training = False

    bridge = _Bridge(TrainConfig(), steps=100, callbacks=Callbacks(), has_val=False)
    bridge.set_model(FakeModel())
    bridge.on_epoch_begin(0)
    bridge.on_train_batch_end(9, {"loss": 2.3, "accuracy": 0.1})
    assert bridge.diverged is None and not bridge.model.stop_training
    bridge.on_train_batch_end(19, {"loss": math.nan, "accuracy": 0.1})
    assert bridge.diverged == (1, 20, bridge.diverged[2]) and math.isnan(bridge.diverged[2])
    assert bridge.model.stop_training and bridge.halted
