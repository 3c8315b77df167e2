"""The Train page's form as plain data: raw widget values -> a checked (name, ArchSpec, TrainConfig) plan.

No Streamlit here. `to_plan` checks every field with the same objects the CLI uses (LayerSpec,
TrainConfig, check_name, Registry.exists) and raises `FormErrors` mapping each bad field to one
sentence, so the page can show the sentence under the field and start nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from model.registry import Registry, RegistryError, check_name
from model.spec import ArchSpec, LayerSpec, SpecError
from training.config import TrainConfig

MNIST_TRAIN_SIZE = 60_000  # images in MNIST's training split
# form field -> TrainConfig field (the config's own validation phrases the sentence)
CONFIG_FIELDS = (
    "optimizer",
    "learning_rate",
    "batch_size",
    "epochs",
    "validation_split",
    "augment",
    "pen_strokes",
    "pen_data",
    "include_drawings",
    "seed",
    "schedule",
    "label_smoothing",
    "early_stopping",
    "train_limit",
    "snapshots",
)


@dataclass
class LayerRow:
    units: int | float  # neurons, 1..4096
    activation: str = "relu"  # one of model.spec.ACTIVATIONS
    dropout: float = 0.0  # 0..0.8


@dataclass
class FormValues:
    """Exactly what the widgets hold; nothing checked yet."""

    layers: list[LayerRow] = field(default_factory=list)  # hidden layers, input side first; [] = softmax regression
    name: str = ""  # registry name of the model to train
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    batch_size: int | float = 128
    epochs: int | float = 10
    validation_split: float = 0.1
    augment: bool = False
    pen_strokes: float = 0.0
    pen_data: float = 0.0
    include_drawings: bool = False
    seed: int | float = 0
    schedule: str = "constant"
    label_smoothing: float = 0.0
    early_stopping: int | float = 0
    train_limit: int | float = 0  # 0 = all 60000 images
    snapshots: bool = True  # record the replay (training/snapshots.py)

    @classmethod
    def from_recipe(cls, arch: ArchSpec, cfg: TrainConfig, name: str = "") -> FormValues:
        """A form filled in from a preset or a saved model's recipe."""
        layers = [LayerRow(layer.units, layer.activation, layer.dropout) for layer in arch.hidden]
        return cls(layers=layers, name=name, **{k: getattr(cfg, k) for k in CONFIG_FIELDS})


@dataclass(frozen=True)
class TrainPlan:
    name: str  # free registry name
    arch: ArchSpec
    cfg: TrainConfig


class FormErrors(ValueError):
    """Bad fields: `errors` maps a field ("epochs", "layers.0", "name", ...) to one sentence."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(" ".join(errors.values()))
        self.errors = errors


def to_plan(values: FormValues, registry: Registry, n_drawings: int = 0) -> TrainPlan:
    """Check every field; return the plan, or raise FormErrors naming each bad field and why."""
    errors: dict[str, str] = {}
    layers = []
    for i, row in enumerate(values.layers):
        layer = LayerSpec(_whole(row.units), row.activation, _number(row.dropout))
        _check(errors, f"layers.{i}", layer.validate, i)
        layers.append(layer)

    raw = {k: getattr(values, k) for k in CONFIG_FIELDS}
    for k in ("batch_size", "epochs", "seed", "early_stopping", "train_limit"):
        raw[k] = _whole(raw[k])
    for k in CONFIG_FIELDS:  # one field at a time against the defaults, so every bad field gets its sentence
        if raw[k] is None:
            errors[k] = "This field is empty."
        else:
            _check(errors, k, TrainConfig, **{k: raw[k]})
    if "batch_size" not in errors and "validation_split" not in errors and "train_limit" not in errors:
        n_train = training_images(
            raw["train_limit"], raw["validation_split"], n_drawings if raw["include_drawings"] else 0
        )
        if raw["batch_size"] > n_train:
            errors["batch_size"] = f"Batch size {raw['batch_size']} is larger than the {n_train} training images."

    name = values.name.strip()
    if not name:
        errors["name"] = "Give the model a name."
    elif not _check(errors, "name", lambda: check_name(name)) and registry.exists(name):
        errors["name"] = f"A model named {name!r} already exists; choose another name."

    if errors:
        raise FormErrors(errors)
    return TrainPlan(name, ArchSpec(tuple(layers)), TrainConfig(**raw))


def training_images(train_limit: int, validation_split: float, n_drawings: int = 0) -> int:
    """How many images one epoch trains on (mirrors training.loop.split_train_val)."""
    n = MNIST_TRAIN_SIZE + n_drawings
    if train_limit:
        n = min(n, train_limit)
    return n - int(round(n * validation_split))


def suggest_name(arch: ArchSpec, registry: Registry, also_taken: tuple[str, ...] = ()) -> str:
    """A free, readable name such as 'relu-128-64' or 'relu-128-64-2' (also avoiding `also_taken`, e.g. a running model)."""
    act = arch.hidden[0].activation if arch.hidden else "softmax"
    base = "-".join([act, *(str(layer.units) for layer in arch.hidden)])
    taken = {r.name for r in registry.records()} | set(also_taken)
    n = 1
    while (candidate := base if n == 1 else f"{base}-{n}") in taken:
        n += 1
    return candidate


def _whole(value):
    """Number inputs may hand back 3.0; a whole float becomes an int, anything else is left for validation."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _number(value) -> float:
    """None (an emptied input) becomes NaN, which every range check refuses."""
    return float("nan") if value is None else float(value)


def _check(errors: dict[str, str], key: str, action, *args, **kwargs) -> bool:
    """Run a validating call, action(*args, **kwargs); on a refusal store its sentence under `key`. True if it was refused."""
    try:
        action(*args, **kwargs)
    except (SpecError, RegistryError, TypeError) as error:
        errors[key] = _sentence(str(error))
        return True
    return False


def _sentence(message: str) -> str:
    """'hidden layer 2: units must be ...' -> 'Units must be ...' (the page shows it under the field)."""
    message = re.sub(r"^hidden layer \d+: ", "", message)
    return message[:1].upper() + message[1:]
