"""model/export.py: My drawings as MNIST-format files in a zip and a model as its .keras file, both read back."""

import csv
import hashlib
import io
import struct
import zipfile

import numpy as np
import pytest
from PIL import Image

from model.drawings import DrawingStore
from model.export import drawings_zip, idx_bytes, model_bytes
from model.inference import Classifier
from model.mnist import FILES, parse_idx
from model.network import build_model
from model.preprocess import PREPROCESS_VERSION
from model.registry import BUNDLED_NAME, Registry
from model.spec import ArchSpec
from model.store import ModelFileError, ModelMeta, read_meta


def canvas_png(image: np.ndarray) -> bytes:
    """A stand-in for the canvas PNG saved with a drawing: the 28x28 input at 10x, dark ink on white."""
    picture = Image.fromarray(255 - np.round(image * 255).astype(np.uint8)).resize((280, 280), Image.Resampling.NEAREST)
    buf = io.BytesIO()
    picture.save(buf, format="PNG")
    return buf.getvalue()


def test_idx_files_are_byte_for_byte_mnists_own(mnist):
    """The reference: MNIST's test set written back with idx_bytes has the official MD5 of t10k-*-ubyte."""
    _, (x_test, y_test) = mnist
    assert hashlib.md5(idx_bytes(x_test)).hexdigest() == FILES["t10k-images-idx3-ubyte"]
    assert hashlib.md5(idx_bytes(y_test)).hexdigest() == FILES["t10k-labels-idx1-ubyte"]


def test_the_zip_holds_what_was_saved_as_mnist_stores_it(digitlab_home):
    store = DrawingStore(digitlab_home)
    images = list(np.random.default_rng(0).random((3, 28, 28), dtype=np.float32))  # every grey level, not just 0/1
    pngs = [canvas_png(images[0]), canvas_png(images[1]), None]
    store.add(images[0], 7, predicted=1, model="default", canvas_png=pngs[0])
    store.add(images[1], 0, predicted=0, model="mine", canvas_png=pngs[1])
    store.add(images[2], 4)  # an upload saved without a PNG, read by no model
    with zipfile.ZipFile(io.BytesIO(drawings_zip(store))) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    names = ["png/000000-label7.png", "png/000001-label0.png"]
    assert set(members) == {"images-idx3-ubyte", "labels-idx1-ubyte", "drawings.csv", *names}

    x, y = parse_idx(members["images-idx3-ubyte"]), parse_idx(members["labels-idx1-ubyte"])
    assert members["images-idx3-ubyte"][:16] == struct.pack(">4I", 0x803, 3, 28, 28)  # MNIST's header
    assert members["labels-idx1-ubyte"][:8] == struct.pack(">2I", 0x801, 3)
    stored_x, stored_y = store.arrays()  # the store's own uint8 bytes, oldest first
    assert x.dtype == np.uint8 and np.array_equal(x, stored_x) and np.array_equal(y, stored_y)
    assert np.array_equal(x, np.round(np.stack(images) * 255))  # 0 = background, 255 = ink, as MNIST
    assert y.tolist() == [7, 0, 4]

    rows = list(csv.DictReader(io.StringIO(members["drawings.csv"].decode())))
    assert list(rows[0]) == ["index", "label", "predicted", "model", "saved_at", "png"]
    oldest_first = store.list()[::-1]
    assert [tuple(row.values()) for row in rows] == [
        ("0", "7", "1", "default", oldest_first[0].created, names[0]),
        ("1", "0", "0", "mine", oldest_first[1].created, names[1]),
        ("2", "4", "", "", oldest_first[2].created, ""),  # no reading, no PNG: empty cells
    ]
    for name, png in zip(names, pngs):
        assert members[name] == png
        with Image.open(io.BytesIO(members[name])) as picture, Image.open(io.BytesIO(png)) as original:
            assert np.array_equal(np.asarray(picture), np.asarray(original))


def test_a_downloaded_model_is_the_registry_file_and_keras_loads_it_with_its_metadata(tmp_path, mnist):
    import keras

    _, (x_test, _) = mnist
    arch = ArchSpec.simple([16])
    history = [{"epoch": 1, "loss": 0.5, "accuracy": 0.8, "val_loss": 0.6, "val_accuracy": 0.79}]
    meta = ModelMeta(
        name="mine", arch=arch, train={"optimizer": "adam", "epochs": 1}, metrics={"accuracy": 0.8}, history=history
    )
    registry = Registry()
    registry.add(build_model(arch, seed=2), meta)
    x = x_test[:64].astype(np.float32) / 255
    for record in (registry.get("mine"), registry.get(BUNDLED_NAME)):
        data = model_bytes(record)
        assert data == record.path.read_bytes()
        out = tmp_path / f"{record.name}.keras"
        out.write_bytes(data)
        keras_model = keras.saving.load_model(out)
        # 1e-5, not equality: Keras' matmul and NumPy's are two BLAS paths that round the last float32 bits apart
        assert np.abs(keras_model.predict(x, verbose=0) - Classifier.load(record.name).predict_proba(x)).max() < 1e-5
        carried = read_meta(out)  # digitlab.json, next to what keras reads
        assert (carried.arch, carried.train, carried.metrics, carried.history) == (
            record.arch,
            record.train,
            record.metrics,
            record.history,
        )
        assert carried.preprocess_version == PREPROCESS_VERSION
    assert read_meta(tmp_path / "mine.keras").name == "mine"


def test_a_damaged_or_missing_model_file_is_not_handed_over():
    arch = ArchSpec.simple([8])
    record = Registry().add(build_model(arch, seed=1), ModelMeta(name="fragile", arch=arch))
    record.path.write_bytes(record.path.read_bytes()[:-10])
    with pytest.raises(ModelFileError, match="damaged"):
        model_bytes(record)
    record.path.unlink()
    with pytest.raises(ModelFileError, match="missing"):
        model_bytes(record)
