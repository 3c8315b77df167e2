"""Model files read without Keras: a damaged or mismatched archive is refused with one sentence."""

import json
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from model.inference import Classifier
from model.network import build_model
from model.registry import Registry
from model.spec import ArchSpec, LayerSpec
from model.store import CONFIG_MEMBER, WEIGHTS_MEMBER, ModelFileError, ModelMeta


@pytest.fixture
def saved(digitlab_home) -> Path:
    """A small model file as the registry writes it: 784-16(tanh, dropout)-8(relu)-10."""
    arch = ArchSpec((LayerSpec(16, "tanh", 0.2), LayerSpec(8)))
    return Registry().add(build_model(arch, seed=0), ModelMeta(name="small", arch=arch)).path


def rewrite(path: Path, member: str, change) -> Path:
    """A copy of the archive with `member`'s bytes replaced by change(old bytes), or left out if it returns None."""
    out = path.with_name("changed.keras")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            data = change(data) if info.filename == member else data
            if data is not None:
                dst.writestr(info, data)
    return out


def without(path: Path, member: str) -> Path:
    return rewrite(path, member, lambda data: None)


def edit_config(path: Path, edit) -> Path:
    def change(data: bytes) -> bytes:
        config = json.loads(data)
        edit(config["config"]["layers"])
        return json.dumps(config).encode()

    return rewrite(path, CONFIG_MEMBER, change)


def edit_weights(path: Path, edit, tmp_path: Path) -> Path:
    def change(data: bytes) -> bytes:
        file = tmp_path / "weights.h5"
        file.write_bytes(data)
        with h5py.File(file, "r+") as h5:
            edit(h5)
        return file.read_bytes()

    return rewrite(path, WEIGHTS_MEMBER, change)


def dense(layers: list, i: int) -> dict:
    return [layer for layer in layers if layer["class_name"] == "Dense"][i]["config"]


def swap_dense_groups(h5) -> None:
    h5.move("layers/dense", "layers/tmp")
    h5.move("layers/dense_1", "layers/dense")
    h5.move("layers/tmp", "layers/dense_1")


DAMAGES = {  # what happened to the file -> (make the damaged copy, words the sentence must hold)
    "not a zip": (lambda p, t: (t / "x.keras").write_bytes(b"garbage") and t / "x.keras", "damaged"),
    "truncated": (lambda p, t: (t / "x.keras").write_bytes(p.read_bytes()[:5000]) and t / "x.keras", "damaged"),
    "weights missing": (lambda p, t: without(p, WEIGHTS_MEMBER), "damaged"),
    "weights not HDF5": (lambda p, t: rewrite(p, WEIGHTS_MEMBER, lambda d: b"\0" * len(d)), "damaged"),
    "weights cut short": (lambda p, t: rewrite(p, WEIGHTS_MEMBER, lambda d: d[: len(d) // 2]), "damaged"),
    "config not JSON": (lambda p, t: rewrite(p, CONFIG_MEMBER, lambda d: d[:-10]), "damaged"),
    "units do not match the weights": (
        lambda p, t: edit_config(p, lambda ls: dense(ls, 0).update(units=17)),
        "damaged",
    ),
    "a layer we cannot run": (
        lambda p, t: edit_config(
            p, lambda ls: ls.insert(3, {"class_name": "Lambda", "config": {"name": "code", "function": "print"}})
        ),
        "damaged",
    ),
    "layers swapped in the weights": (lambda p, t: edit_weights(p, swap_dense_groups, t), "damaged"),
    "a kernel of another shape": (
        lambda p, t: edit_weights(
            p,
            lambda h5: (
                h5.__delitem__("layers/dense_1/vars/0"),
                h5.create_dataset("layers/dense_1/vars/0", data=np.zeros((16, 9), "f4")),
            ),
            t,
        ),
        "damaged",
    ),
    "a hidden activation we cannot run": (
        lambda p, t: edit_config(p, lambda ls: dense(ls, 0).update(activation="swish")),
        "activation 'swish'",
    ),
    "no softmax output": (
        lambda p, t: edit_config(p, lambda ls: dense(ls, 2).update(activation="linear")),
        "not a Flatten -> Dense -> softmax",
    ),
}


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_or_mismatched_file_is_refused_with_one_sentence(saved, tmp_path, damage):
    make, words = DAMAGES[damage]
    Classifier.from_file(saved)  # the intact file loads
    with pytest.raises(ModelFileError) as refused:
        Classifier.from_file(make(saved, tmp_path))
    message = str(refused.value)
    assert words in message and message.endswith(".") and "\n" not in message


def test_the_layer_groups_follow_keras_naming_with_and_without_dropout(saved):
    """dense, dense_1, dense_2 in the weights file, whatever the layers' own names (dense_1, dense_2, output)."""
    layers = Classifier.from_file(saved).layers
    assert [layer.kernel.shape for layer in layers] == [(784, 16), (16, 8), (8, 10)]
    assert [layer.activation for layer in layers] == ["tanh", "relu", "softmax"]
