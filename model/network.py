"""Build the Keras network an `ArchSpec` describes: Flatten -> Dense... -> Dense(10, softmax)."""

from __future__ import annotations

from model.spec import IMAGE_SIDE, N_CLASSES, ArchSpec


def build_model(spec: ArchSpec, seed: int | None = None):
    """A fresh, untrained Keras model; `seed` makes the initial weights reproducible."""
    import keras  # heavy import kept out of module load: the CLI's bad-input paths stay fast

    if seed is not None:
        keras.utils.set_random_seed(seed)
    layers = [keras.Input(shape=(IMAGE_SIDE, IMAGE_SIDE), name="image"), keras.layers.Flatten(name="flatten")]
    for i, layer in enumerate(spec.hidden, start=1):
        layers.append(keras.layers.Dense(layer.units, activation=layer.activation, name=f"dense_{i}"))
        if layer.dropout > 0:
            layers.append(keras.layers.Dropout(layer.dropout, name=f"dropout_{i}"))
    layers.append(keras.layers.Dense(N_CLASSES, activation="softmax", name="output"))
    return keras.Sequential(layers, name="digitlab_dense")
