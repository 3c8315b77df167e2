"""The architecture of a dense digit classifier, as one typed, serialisable object.

The CLI (`--hidden 256,128 --activation relu --dropout 0.2`), the Train page and
the metadata stored next to the weights all describe a network with `ArchSpec`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

IMAGE_SIDE = 28  # MNIST images are 28x28
N_INPUTS = IMAGE_SIDE * IMAGE_SIDE  # 784 after Flatten
N_CLASSES = 10  # digits 0..9

ACTIVATIONS = ("relu", "sigmoid", "tanh", "gelu", "elu", "selu")
MAX_UNITS = 4096
MAX_DROPOUT = 0.8


class SpecError(ValueError):
    """A configuration value is out of range; the message is one sentence for the user."""


@dataclass(frozen=True)
class LayerSpec:
    units: int  # neurons in this Dense layer, 1..MAX_UNITS
    activation: str = "relu"  # one of ACTIVATIONS
    dropout: float = 0.0  # dropout rate applied after the layer while training, 0..MAX_DROPOUT

    def validate(self, index: int) -> None:
        where = f"hidden layer {index + 1}"
        if not isinstance(self.units, int) or not 1 <= self.units <= MAX_UNITS:
            raise SpecError(f"{where}: units must be a whole number from 1 to {MAX_UNITS}, got {self.units}.")
        if self.activation not in ACTIVATIONS:
            raise SpecError(f"{where}: activation must be one of {', '.join(ACTIVATIONS)}, got {self.activation!r}.")
        if not 0.0 <= self.dropout <= MAX_DROPOUT:
            raise SpecError(f"{where}: dropout must be between 0 and {MAX_DROPOUT}, got {self.dropout}.")


@dataclass(frozen=True)
class ArchSpec:
    """Flatten(28x28) -> Dense(hidden[0]) -> ... -> Dense(10, softmax). No hidden layers = softmax regression."""

    hidden: tuple[LayerSpec, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(self.hidden))
        for i, layer in enumerate(self.hidden):
            layer.validate(i)

    @classmethod
    def simple(cls, units: list[int] | tuple[int, ...], activation: str = "relu", dropout: float = 0.0) -> ArchSpec:
        """Every hidden layer with the same activation and dropout (what the CLI flags describe)."""
        return cls(tuple(LayerSpec(int(u), activation, float(dropout)) for u in units))

    @property
    def layer_sizes(self) -> list[int]:
        return [N_INPUTS, *(layer.units for layer in self.hidden), N_CLASSES]

    @property
    def params(self) -> int:
        """Trainable parameters: weights plus biases of every Dense layer."""
        sizes = self.layer_sizes
        return sum(a * b + b for a, b in zip(sizes, sizes[1:]))

    def describe(self) -> str:
        """Short human form, e.g. '784-256(relu)-128(relu)-10'."""
        inner = [f"{layer.units}({layer.activation})" for layer in self.hidden]
        return "-".join([str(N_INPUTS), *inner, str(N_CLASSES)])

    def to_dict(self) -> dict:
        return {"hidden": [asdict(layer) for layer in self.hidden]}

    @classmethod
    def from_dict(cls, data: dict) -> ArchSpec:
        return cls(tuple(LayerSpec(int(h["units"]), str(h["activation"]), float(h["dropout"])) for h in data["hidden"]))


def parse_hidden(text: str) -> list[int]:
    """'256,128' -> [256, 128]; 'none' -> [] (softmax regression, only when asked for by name)."""
    text = text.strip().lower()
    if text in ("none", "0-layers"):
        return []
    parts = [part.strip() for part in text.split(",")]
    if not all(parts):  # '', ',' or '256,,128': an empty size is a typo, not a request for fewer layers
        raise SpecError(
            f"--hidden must be comma-separated whole numbers like 256,128 (or 'none' for no hidden "
            f"layers), got {text!r}."
        )
    try:
        units = [int(part) for part in parts]
    except ValueError:
        raise SpecError(f"--hidden must be comma-separated whole numbers like 256,128, got {text!r}.") from None
    for u in units:
        if not 1 <= u <= MAX_UNITS:
            raise SpecError(f"--hidden: every layer needs 1 to {MAX_UNITS} units, got {u}.")
    return units
