"""The MNIST loader (model/mnist.py): IDX parsing, checksums, $MNIST_DIR, and a clear sentence when missing."""

import gzip
import hashlib

import numpy as np
import pytest

from model import mnist
from training import data


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode a uint8 array in LeCun's IDX format: 0, 0, 0x08 (ubyte), ndim, big-endian dims, mnist."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def test_parse_idx_round_trip():
    images = np.arange(2 * 28 * 28, dtype=np.uint32).reshape(2, 28, 28).astype(np.uint8)
    assert np.array_equal(mnist.parse_idx(idx_bytes(images)), images)
    labels = np.array([3, 1, 4], dtype=np.uint8)
    assert np.array_equal(mnist.parse_idx(idx_bytes(labels)), labels)


def test_parse_idx_rejects_truncated_and_foreign_files():
    raw = idx_bytes(np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(mnist.DataError, match="truncated"):
        mnist.parse_idx(raw[:-10])
    with pytest.raises(mnist.DataError, match="not an IDX"):
        mnist.parse_idx(b"\x89PNG\r\n\x1a\n" + raw)


def write_fixture(folder, gz: bool, monkeypatch):
    """Four tiny IDX files, with the checksum table patched to match them."""
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (5, 28, 28)).astype(np.uint8),
        "train-labels-idx1-ubyte": np.array([0, 1, 2, 3, 4], np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (2, 28, 28)).astype(np.uint8),
        "t10k-labels-idx1-ubyte": np.array([7, 9], np.uint8),
    }
    sums = {}
    for name, array in arrays.items():
        raw = idx_bytes(array)
        sums[name] = hashlib.md5(raw).hexdigest()
        (folder / (name + (".gz" if gz else ""))).write_bytes(gzip.compress(raw) if gz else raw)
    monkeypatch.setattr(mnist, "FILES", sums)
    return arrays


@pytest.mark.parametrize("gz", [False, True])
def test_loads_a_folder_of_idx_files(tmp_path, monkeypatch, gz):
    arrays = write_fixture(tmp_path, gz, monkeypatch)
    monkeypatch.setenv("MNIST_DIR", str(tmp_path))
    mnist.load_mnist.cache_clear()
    (x, y), (xt, yt) = mnist.load_mnist()
    mnist.load_mnist.cache_clear()
    assert np.array_equal(x, arrays["train-images-idx3-ubyte"]) and np.array_equal(yt, [7, 9])


def test_checksum_mismatch_is_refused(tmp_path, monkeypatch):
    write_fixture(tmp_path, False, monkeypatch)
    monkeypatch.setitem(mnist.FILES, "t10k-labels-idx1-ubyte", "0" * 32)
    with pytest.raises(mnist.DataError, match="checksum"):
        mnist._load_folder(tmp_path)


def test_no_data_anywhere_gives_one_sentence(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_DIR", str(tmp_path))  # empty folder
    monkeypatch.setattr(mnist, "FETCHED_DIR", tmp_path / "nothing")
    monkeypatch.setattr(mnist, "_load_keras", lambda: (_ for _ in ()).throw(OSError("no network")))
    mnist.load_mnist.cache_clear()
    with pytest.raises(mnist.DataError, match="make setup"):
        mnist.load_mnist()
    mnist.load_mnist.cache_clear()


def test_the_real_mnist_is_official(mnist):
    (x, y), (xt, yt) = mnist
    assert x.shape == (60000, 28, 28) and xt.shape == (10000, 28, 28)
    assert x.dtype == np.uint8 and y.dtype == np.uint8
    assert np.bincount(yt).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_training_data_is_the_same_loader():
    """training/ reads MNIST through model/mnist.py: one cache, one error type for both layers."""
    assert data.load_mnist is mnist.load_mnist and data.DataError is mnist.DataError
