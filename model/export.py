"""What everyone can take home: a model as its `.keras` file, My drawings as MNIST-format files in a zip.

    data = model_bytes(record)          # the registry's .keras file, checked against its SHA-256
    data = drawings_zip(store)          # images-idx3-ubyte, labels-idx1-ubyte, png/, drawings.csv
    write_file(Path("out.zip"), data)   # a temporary name in the same folder, then renamed

    python -m model export NAME --out NAME.keras      # the Train page's Download, from the command line
    python -m model drawings --out my-drawings.zip    # the Draw page's "Download my drawings (.zip)"

A model file already carries its metadata (`digitlab.json`, see model/store.py) next to what
`keras.saving.load_model` reads, so a download is the file itself, read as bytes: no Keras.
The zip's IDX files have the byte layout of MNIST's own (train-images-idx3-ubyte...), so any MNIST
loader reads them; index i of the IDX files is row i of drawings.csv, oldest drawing first.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from model.drawings import Drawing, DrawingStore
from model.registry import ModelRecord
from model.spec import IMAGE_SIDE
from model.store import ModelFileError

IMAGES_MEMBER, LABELS_MEMBER = "images-idx3-ubyte", "labels-idx1-ubyte"  # MNIST's file names without "train-"
CSV_MEMBER = "drawings.csv"
CSV_COLUMNS = ("index", "label", "predicted", "model", "saved_at", "png")  # predicted, model: the reading at saving
IDX_UBYTE = 0x08  # IDX type code for unsigned bytes: the magic number is 0x00, 0x00, 0x08, number of dimensions
DRAWINGS_ZIP = "my-drawings.zip"  # the download's default file name


def model_bytes(record: ModelRecord) -> bytes:
    """The model's `.keras` file as the registry holds it; a missing or altered file raises ModelFileError."""
    try:
        data = record.path.read_bytes()
    except FileNotFoundError:
        raise ModelFileError(f"the file of model {record.name!r} is missing.") from None
    if hashlib.sha256(data).hexdigest() != record.sha256:
        raise ModelFileError(f"the file of model {record.name!r} is damaged (checksum mismatch).")
    return data


def idx_bytes(array: np.ndarray) -> bytes:
    """A uint8 array in LeCun's IDX format: the magic number, each dimension as a big-endian uint32, the bytes."""
    array = np.ascontiguousarray(array)  # row-major, as MNIST stores its pixels
    if array.dtype != np.uint8:
        raise TypeError(f"IDX files here hold unsigned bytes, got {array.dtype}.")
    header = bytes([0, 0, IDX_UBYTE, array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    return header + array.tobytes()


def mnist_pixels(image: np.ndarray) -> np.ndarray:
    """(28, 28) float32 in [0, 1] -> uint8 with 0 = background and 255 = ink: how MNIST (and the store) keep them."""
    return np.clip(np.round(image * 255), 0, 255).astype(np.uint8)  # exact: the store decoded its bytes as k / 255


def png_name(index: int, label: int) -> str:
    return f"png/{index:06d}-label{label}.png"


def drawings_zip(store: DrawingStore) -> bytes:
    """Every saved drawing, oldest first, as a zip of MNIST-format IDX files, the raw PNGs and drawings.csv."""
    return pack_drawings(store.list()[::-1])  # the store lists newest first


def pack_drawings(drawings: Sequence[Drawing], extra: Mapping[str, Sequence] | None = None) -> bytes:
    """`drawings`, in this order, as the zip `drawings_zip` describes; `extra` adds CSV columns (one value each)."""
    extra = extra or {}
    images = np.array([mnist_pixels(d.image) for d in drawings], np.uint8).reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
    labels = np.array([d.label for d in drawings], np.uint8)  # (n,)
    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow([*CSV_COLUMNS, *extra])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(IMAGES_MEMBER, idx_bytes(images))
        archive.writestr(LABELS_MEMBER, idx_bytes(labels))
        for i, d in enumerate(drawings):
            png = png_name(i, d.label) if d.canvas_png else ""  # a drawing saved without its picture has none
            if png:
                archive.writestr(png, d.canvas_png, compress_type=zipfile.ZIP_STORED)  # PNG is compressed already
            predicted = "" if d.predicted is None else d.predicted
            writer.writerow([i, d.label, predicted, d.model or "", d.created, png, *(v[i] for v in extra.values())])
        archive.writestr(CSV_MEMBER, table.getvalue())
    return buffer.getvalue()


def write_file(path: Path, data: bytes) -> None:
    """Write `data` to `path` under a temporary name in the same folder, then rename: never half a file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        with open(tmp, "xb") as f:  # a new file with the usual permissions (mkstemp's would be 0600)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
