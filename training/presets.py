"""Starting points for the Train page: the networks of the notebooks this project grew from, and the bundled default.

Each preset is an `ArchSpec` plus a `TrainConfig`, the same objects the CLI and the saved models use.
Where a notebook did not report a setting (batch size, learning rate, seed), the value is ours and the
note says so. The bundled default's recipe is read from its own metadata, so it stays right when the
bundled model is replaced.
"""

from __future__ import annotations

from dataclasses import dataclass

from model.registry import BUNDLED_NAME, Registry, RegistryError
from model.spec import ArchSpec, SpecError
from training.config import TrainConfig


@dataclass(frozen=True)
class Preset:
    key: str  # stable id, e.g. "dense-128-64"
    label: str  # what the preset picker shows
    arch: ArchSpec  # the network
    cfg: TrainConfig  # how it is trained
    note: str  # where it comes from and what it reached there, one sentence


NOTEBOOK_PRESETS: tuple[Preset, ...] = (
    Preset(
        "dense-128-64",
        "784-128-64-10 ReLU, Adam",
        ArchSpec.simple([128, 64], "relu"),
        TrainConfig(optimizer="adam", learning_rate=1e-3, batch_size=128, epochs=10),
        "The first notebook's network: 97.65% test accuracy reported (batch size and epochs were not; ours are 128 and 10).",
    ),
    Preset(
        "dense-128-256-sgd",
        "784-128-256-10 ReLU, SGD, 50 epochs",
        ArchSpec.simple([128, 256], "relu"),
        TrainConfig(optimizer="sgd", learning_rate=0.01, batch_size=128, epochs=50),
        "A widening network trained slowly with SGD + momentum: 98% reported after 50 epochs.",
    ),
    Preset(
        "dense-100",
        "784-100-10 ReLU, Adam, 10 epochs",
        ArchSpec.simple([100], "relu"),
        TrainConfig(optimizer="adam", learning_rate=1e-3, batch_size=128, epochs=10),
        "One hidden layer of 100 neurons: the smallest network here that still learns digits well.",
    ),
    Preset(
        "dense-sigmoid",
        "784-128-10 sigmoid, Adam",
        ArchSpec.simple([128], "sigmoid"),
        TrainConfig(optimizer="adam", learning_rate=1e-3, batch_size=128, epochs=5),
        "The sigmoid notebook: 92.5% reported; sigmoids learn more slowly than ReLU (layer size and epochs are ours).",
    ),
)


def bundled_preset(registry: Registry | None = None) -> Preset | None:
    """The recipe of the bundled default model, from its metadata (None if it cannot be read)."""
    try:
        record = (registry or Registry()).get(BUNDLED_NAME)
        cfg = TrainConfig.from_dict({**record.train, "train_limit": 0})
    except (RegistryError, SpecError, TypeError):
        return None
    reached = f" It reached {record.accuracy:.2%} on the test set." if record.accuracy is not None else ""
    return Preset(
        "bundled-default",
        f"Bundled default: {record.arch.describe()}",
        record.arch,
        cfg,
        f"The recipe of the model the app ships with.{reached}",
    )


def all_presets(registry: Registry | None = None) -> list[Preset]:
    """The bundled default's recipe first (when readable), then the notebook networks."""
    bundled = bundled_preset(registry)
    return ([bundled] if bundled else []) + list(NOTEBOOK_PRESETS)
